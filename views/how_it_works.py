"""How it works: the method step by step, with live values from the current model for one
real test digit. (The numbers come from core.lesson; this page only lays them out.)"""

import math

import numpy as np
import pandas as pd
import streamlit as st

import ui
from core.figures import PROBABILITY_KEY, probability_figure, upscale
from core.lesson import FLOAT32_EXP_LIMIT, Snippet, code_snippets, overflow_demo, walkthrough
from core.model import LOG_CLIP

st.title("How it works")
st.markdown("Softmax regression, step by step, as the tutorial article builds it, with **the "
            "same numbers as the article's code**: with the same seed, this project draws the "
            "same random numbers in the same order (the validation split, the initial weights, "
            "the order of the batches) and prints the article's `EPOCH` lines digit for digit.")
choice = ui.require_model(", then come back: every step below is shown with its numbers")

data = ui.current_data()
names = data.class_names
ev = ui.test_evaluation(choice.model)
n_test = len(data.y_test)
if not 0 <= st.session_state.get("lesson_index", 0) < n_test:  # e.g. a smaller dataset now
    st.session_state["lesson_index"] = 0


def _next_mistake() -> None:
    wrong = np.flatnonzero(ev.y_pred != ev.y_true)
    if len(wrong):
        later = wrong[wrong > st.session_state["lesson_index"]]
        st.session_state["lesson_index"] = int(later[0] if len(later) else wrong[0])


def fmt(v: float) -> str:
    """A number for a projector: whole numbers as such, else 4 decimals, or scientific
    notation when tiny or huge."""
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == int(v) and abs(v) < 1e5:
        return str(int(v))
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.2e}"


TRUE_ROW = "background-color: rgba(255, 193, 7, 0.25); font-weight: bold"


def per_class(columns: dict[str, np.ndarray]) -> None:
    """One row per class, one column per quantity: read down to compare classes, across
    to follow one class through the step. The true class's row is highlighted."""
    frame = pd.DataFrame({label: [fmt(v) for v in values] for label, values in columns.items()},
                         index=pd.Index(list(names), name="class"))
    true_name = names[w.label]
    st.table(frame.style.apply(
        lambda row: [TRUE_ROW if row.name == true_name else ""] * len(row), axis=1))


def show_code(snippets: tuple[Snippet, ...], captions: tuple[str, ...] = ()) -> None:
    for k, s in enumerate(snippets):
        lead = f"{captions[k]} " if k < len(captions) else ""
        st.caption(f"{lead}`{s.name}` ({s.path}, line {s.line})")
        st.code(s.code, language="python", wrap_lines=True)


def step(number: int | str, title: str):
    """A bordered section: the explanation on the left, the live values on the right."""
    box = st.container(border=True)
    box.subheader(f"{number}. {title}")
    return box.columns([1.3, 1], gap="large")


# ------------------------------------------------------------------ the digit

st.caption(f"Model: {choice.label}. Pick a test image: every number below is computed for it, "
           "with this model. In the tables, the true class's row is highlighted.")
pick, picture, verdict = st.columns([1, 1, 2])
with pick:
    index = st.number_input(f"Test image (0 to {n_test - 1:,})", 0, n_test - 1, key="lesson_index")
    st.button("Next mistake", on_click=_next_mistake, icon=":material/skip_next:",
              help="Jump to the next test image this model gets wrong.")
w = walkthrough(choice.model, data, int(index), evaluation=ev)
snips = code_snippets()
true_name, pred_name = names[w.label], names[w.prediction]
picture.image(upscale(w.raw, 8), caption=f"test image #{w.index}")
with verdict:
    a, b = st.columns(2)
    a.metric("True class", true_name)
    b.metric("Prediction", pred_name)
    b.markdown(ui.verdict(w.correct), unsafe_allow_html=True)
    st.metric(f"Probability of the true class {true_name}", f"{w.p_true:.1%}")

# ------------------------------------------------------------------ 1. scale

text, live = step(1, "Load the pixels and scale them to 0-1")
with text:
    st.markdown("MNIST stores each pixel as one byte: **0 is black, 255 is full ink**. "
                "The model reads numbers from 0 to 1, so every pixel is divided by 255. "
                "Small inputs keep the scores, and the training steps, a sensible size.")
    st.latex(r"x_i = \frac{\text{byte}_i}{255}, \qquad 0 \le x_i \le 1")
    show_code(snips["scale"], ("Once per dataset, cached:",))
with live:
    st.markdown(f"Row {w.row} of this image (the row with the most ink), "
                f"columns {w.row_cols[0]} to {w.row_cols[-1]}:")
    st.table(pd.DataFrame([[str(v) for v in w.row_raw], [f"{v:.2f}" for v in w.row_scaled]],
                          index=["byte", "÷ 255"], columns=[str(c) for c in w.row_cols]))
    st.markdown(f"Bytes **{w.raw.min()} to {w.raw.max()}** become x **{w.x.min():.1f} to "
                f"{w.x.max():.1f}**; **{w.n_ink}** of the {w.raw.size} pixels have ink.")

# ------------------------------------------------------------------ 2. flatten

text, live = step(2, "Flatten the 28 x 28 grid into 784 numbers")
with text:
    st.markdown("The model has no idea of rows and columns. The grid is read **row by row** "
                "into one list of 784 numbers: pixel (row r, column c) lands at position 28r + c.")
    st.latex(r"\text{position} = 28\,r + c, \qquad x \in \mathbb{R}^{784}")
    show_code(snips["flatten"], ("When the data is loaded, for all images at once:",))
with live:
    r, col = w.pixel
    c = st.columns(2)
    c[0].metric("Shape", "28 x 28 → 784")
    c[1].metric(f"Pixel (row {r}, column {col})", f"position {w.pixel_index}")
    st.markdown(f"28 · {r} + {col} = **{w.pixel_index}**, and "
                f"x[{w.pixel_index}] = **{w.x[w.pixel_index]:.4f}**: the same pixel, now in a "
                "flat list. Moving the digit by one pixel would change which positions have ink.")

# ------------------------------------------------------------------ 3. one-hot

text, live = step(3, "One-hot: the label as a vector")
with text:
    st.markdown(f"The label is a class number, here **{true_name}**. For the maths it becomes "
                "ten numbers: **1 for the true class, 0 for the others**. Multiplying by a "
                "one-hot vector just picks one entry, so this project's trainer never builds "
                "it: it picks (or subtracts 1 at) the true class directly.")
    st.latex(r"t_k = \begin{cases} 1 & k = y \\ 0 & k \ne y \end{cases}")
    show_code(snips["onehot"], ("The tutorial's way:", "This project's way, in the gradient:"))
with live:
    st.table(pd.DataFrame([w.onehot.astype(int)], index=["t"], columns=list(names)))

# ------------------------------------------------------------------ 4. split

text, live = step(4, "Split off a validation set")
with text:
    st.markdown("Of the 60,000 training images, 10,000 are **held out at random** (fixed seed "
                "34) to check the model while it trains. The 10,000 test images are used only "
                "at the end. A model is never scored on images it learnt from.")
    st.latex(rf"{w.n_train + w.n_valid:,} = \underbrace{{{w.n_train:,}}}_{{\text{{train}}}}"
             rf" + \underbrace{{{w.n_valid:,}}}_{{\text{{validation}}}}"
             rf"\qquad \underbrace{{{w.n_test:,}}}_{{\text{{test}}}}".replace(",", "{,}"))
    show_code(snips["split"], ("The tutorial's way:", "This project's way, the same numbers:"))
with live:
    c = st.columns(3)
    c[0].metric("Train", f"{w.n_train:,}")
    c[1].metric("Validation", f"{w.n_valid:,}")
    c[2].metric("Test", f"{w.n_test:,}")

# ------------------------------------------------------------------ 5. linear model

text, live = step(5, "The linear model: one score per class")
with text:
    st.markdown(f"One weight per pixel and class, plus one bias per class: 784 x {len(names)} "
                f"+ {len(names)} = **{w.n_parameters:,} numbers**. The score (*logit*) of a class "
                "adds up the pixels, each times its weight for that class. Ink where a class's "
                "weights are positive raises its score.")
    st.latex(r"z = xW + b, \qquad z_k = \sum_{i=1}^{784} x_i\,W_{ik} + b_k")
    show_code(snips["linear"])
with live:
    per_class({"z (logits)": w.logits})
    top = int(np.argmax(w.logits))
    st.markdown(f"The highest score is **{fmt(w.logits[top])}**, for class **{names[top]}**. "
                "Scores can be any number, negative too. They are not probabilities yet.")

# ------------------------------------------------------------------ 6. softmax

text, live = step(6, "Softmax: scores become probabilities")
with text:
    st.markdown("Softmax turns the scores into probabilities: all positive, summing to 1, the "
                "highest score gets the highest probability. **First the largest score m is "
                "subtracted from every score.** On paper that changes nothing ($e^{-m}$ "
                "cancels above and below the line), but it keeps exp() from overflowing.")
    st.latex(r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}} = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}},"
             r"\qquad m = \max_j z_j")
    show_code(snips["softmax"])
with live:
    per_class({"z": w.logits, "z − max": w.shifted, "exp(z − max)": w.exp_shifted, "p": w.proba})
    st.markdown(f"The exponentials add up to **{fmt(w.exp_shifted.sum())}**; dividing by that "
                f"sum gives p, which adds up to **{w.proba.sum():.4f}**.")
    st.plotly_chart(probability_figure(w.proba, names, w.label), key="lesson-proba")
    st.caption(PROBABILITY_KEY)

demo = overflow_demo(w.logits, shift=100.0)
text, live = step("6b", "Why subtract the maximum?")
with text:
    st.markdown(f"Add 100 to every score. The probabilities must not change. But the model "
                f"computes in float32, where exp() overflows above **{FLOAT32_EXP_LIMIT:.1f}**: "
                "exp(z + 100) is infinity, and infinity / infinity is NaN, *not a number*. "
                "Subtracting the maximum first makes the largest exponent e⁰ = 1, so nothing "
                "overflows.")
    st.latex(r"\frac{e^{z_k + 100}}{\sum_j e^{z_j + 100}} = \frac{\infty}{\infty}"
             r" = \text{NaN} \qquad\text{but}\qquad e^{(z_k + 100) - (m + 100)} \le 1")
with live:
    per_class({"z + 100": demo.big, "exp(z + 100)": demo.naive_exp, "naive p": demo.naive,
               "stable p": demo.stable})
    if demo.naive_failed:
        st.markdown("The naive formula gives **NaN**; the stable one gives the same "
                    "probabilities as above.")

# ------------------------------------------------------------------ 7. cross-entropy

text, live = step(7, "Cross-entropy, with a clipped log")
with text:
    st.markdown("The loss measures how surprised the model is by the true answer: **minus the "
                "log of the probability it gave the true class**. p = 1 costs 0, p = 0.5 costs "
                "0.69, p near 0 costs a lot. log(0) is minus infinity, so p is **clipped at "
                f"10⁻¹⁰** first: one image never costs more than {-math.log(LOG_CLIP):.2f}.")
    st.latex(r"L_{\text{CE}} = -\sum_k t_k \log p_k = -\log \max\left(p_y,\ 10^{-10}\right)")
    show_code(snips["cross_entropy"])
with live:
    c = st.columns(2)
    c[0].metric(f"p of the true class {true_name}", fmt(w.p_true))
    c[1].metric("Cross-entropy", fmt(w.cross_entropy))
    st.markdown(f"−log({fmt(w.p_true)}) = **{fmt(w.cross_entropy)}**. " + (
        "The clip decided this loss: p was below 10⁻¹⁰." if w.clipped else
        "The clip did not matter here: p is above 10⁻¹⁰."))

# ------------------------------------------------------------------ 8. L2

text, live = step(8, "The L2 term: a penalty on big weights")
with text:
    st.markdown("A small extra cost: **λ/2 times the sum of all squared weights**. It pulls "
                "weights towards 0, so the model does not lean too hard on single pixels. "
                "The biases are not penalised.")
    st.latex(r"L = L_{\text{CE}} + \frac{\lambda}{2}\,\lVert W \rVert^2"
             r" = L_{\text{CE}} + \frac{\lambda}{2}\sum_{i,k} W_{ik}^2")
    show_code(snips["l2"])
with live:
    c = st.columns(2)
    c[0].metric("λ (this model's)", f"{w.l2:g}")
    c[1].metric("‖W‖²", fmt(w.w_squared))
    c = st.columns(2)
    c[0].metric("λ/2 · ‖W‖²", fmt(w.l2_term))
    c[1].metric("L for this image", fmt(w.objective))
    st.markdown(f"{fmt(w.cross_entropy)} + {fmt(w.l2_term)} = **{fmt(w.objective)}**.")

# ------------------------------------------------------------------ 9. gradient

text, live = step(9, "The gradient: which way to move each weight")
with text:
    st.markdown("The derivative of the loss is surprisingly simple. At the scores it is "
                "**δ = p − t**, probability minus one-hot. The true class gets a negative δ "
                "(push its score up), the others a positive one (push down). Each weight's "
                "gradient is its pixel times δ, plus λW.")
    st.latex(r"\delta = \frac{\partial L}{\partial z} = p - t, \qquad"
             r"\frac{\partial L}{\partial W} = x^{\top}\delta + \lambda W, \qquad"
             r"\frac{\partial L}{\partial b} = \delta")
    show_code(snips["gradient"])
with live:
    i = w.pixel_index
    per_class({"p": w.proba, "t": w.onehot, "δ = p − t": w.delta, f"∂L/∂W[{i}]": w.dW[i]})
    st.markdown(f"The last column is one row of ∂L/∂W: pixel {i} from step 2 "
                f"(x = {w.x[i]:.4f}) times δ, plus λW.")
    st.caption(f"∂L/∂W has {w.dW.size:,} numbers, one per weight; a blank pixel (x = 0) "
               "gets only the small λW part.")

# ------------------------------------------------------------------ 10. SGD

text, live = step(10, "The SGD update: a small step downhill")
with text:
    st.markdown("Move every weight a little **against its gradient**. The learning rate η sets "
                "the step size. Training does this for batches of images (100 with the "
                "tutorial's settings), averaging their gradients, hundreds of times per epoch. "
                "Here: one step on this one image alone, on a copy of the model.")
    st.latex(rf"W \leftarrow W - \eta\,\frac{{\partial L}}{{\partial W}}, \qquad "
             rf"b \leftarrow b - \eta\,\frac{{\partial L}}{{\partial b}}, \qquad "
             rf"\eta = {w.learning_rate:g}")
    show_code(snips["sgd"], ("The tutorial's loop:",
                             "This project's trainer (the same step, arranged for speed):"))
with live:
    c = st.columns(2)
    c[0].metric("Cross-entropy after one step", fmt(w.cross_entropy_after),
                f"{fmt(w.cross_entropy_after - w.cross_entropy)} (was {fmt(w.cross_entropy)})",
                delta_color="inverse")
    c[1].metric(f"p of the true class {true_name}", fmt(w.proba_after[w.label]),
                f"was {fmt(w.p_true)}", delta_color="off", delta_arrow="off")
    per_class({"p before": w.proba, "p after": w.proba_after})
    if w.cross_entropy_after < 0.5 * w.cross_entropy:
        st.markdown("One step on one image moves a lot: it would also undo part of what other "
                    "images taught. Averaging over a batch keeps each step balanced.")
    else:
        st.markdown("The model was already sure of this image, so δ is tiny and the step "
                    "hardly changes anything: right, confident answers teach little. Try "
                    "**Next mistake** at the top.")

# ------------------------------------------------------------------ 11. evaluation

text, live = step(11, "Evaluation: count the right answers")
with text:
    st.markdown(f"The prediction is the class with the highest probability. Run the model "
                f"once over the **{w.n_test:,} test images** it never trained on, and count "
                "how many predictions are right.")
    st.latex(r"\hat{y} = \arg\max_k\, p_k, \qquad"
             r"\text{accuracy} = \frac{1}{N}\sum_{n=1}^{N} [\hat{y}_n = y_n]")
    show_code(snips["evaluate"])
with live:
    c = st.columns(2)
    c[0].metric(f"This image: {true_name}", f"predicted {pred_name}")
    c[0].markdown(ui.verdict(w.correct), unsafe_allow_html=True)
    c[1].metric("Test accuracy", f"{w.test_accuracy:.2%}",
                f"{w.n_test_wrong:,} of {w.n_test:,} wrong", delta_color="off", delta_arrow="off")
    st.markdown(f"Mean test cross-entropy: **{fmt(w.test_loss)}**. The Results page shows "
                "which test images are wrong.")
