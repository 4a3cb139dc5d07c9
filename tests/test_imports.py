"""core/ must stay usable without Streamlit (from a CLI, from tests)."""

import subprocess
import sys

from conftest import ROOT


def _fresh_python(code: str) -> str:
    """What ``code`` prints when run by a new interpreter in the project folder."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_importing_core_does_not_import_streamlit_or_keras():
    code = ("import sys, core.data, core.model, core.train, core.metrics, core.config; "
            "import pkgutil, importlib, core; "
            "[importlib.import_module('core.' + m.name) "
            "for m in pkgutil.iter_modules(core.__path__)]; "
            "print(sorted(m for m in ('streamlit', 'keras') if m in sys.modules))")
    assert _fresh_python(code) == "[]"


def test_the_cli_and_the_dashboards_models_do_not_import_scikit_learn():
    """Importing scikit-learn takes about a second (scipy, ...): ``python -m core.train`` would
    start in 1.3 s instead of 0.2. Only core/estimator.py (scikit-learn's SoftmaxRegression,
    for whoever calls fit) imports it; the CLI and the dashboard use core.model's
    SoftmaxWeights, which predicts and is evaluated, saved and loaded without it."""
    code = ("import sys, numpy as np, core.train, core.cli, core.model_file; "
            "from core.metrics import evaluate; from core.model import SoftmaxWeights; "
            "m = SoftmaxWeights(np.eye(4, 3, dtype=np.float32), np.zeros(3)); "
            "x = np.random.default_rng(0).random((6, 4), dtype=np.float32); "
            "m.predict(x), m.predict_proba(x * 255), evaluate(m, x, np.arange(6) % 3); "
            "m.copy().W, m.b, m.class_names, m.config, repr(m), m.hyperparameters; "
            "core.model_file.model_from_bytes(core.model_file.model_to_bytes(m)); "
            "print('sklearn' in sys.modules, sorted(m for m in sys.modules if 'sklearn' in m))")
    assert _fresh_python(code) == "False []"


def test_the_servers_warm_up_fills_every_cache_a_first_visitor_would_wait_for():
    """serve.warm_up, once the server listens and the first page is drawn: the pages'
    modules, MNIST and the compiled step; not the deskewed digits (55 MB, made when first
    asked: issue 24), and no float32 copy of the images."""
    code = ("import sys, serve, ui; serve._server_started = lambda: True; ui.PAGE_DRAWN.set(); "
            "serve.warm_up(); "
            "from core.data import load_mnist; d = load_mnist(); "
            "print(all(m in sys.modules for m in serve.WARM_MODULES), "
            "'deskew' in d._prepared, 'numba' in sys.modules, "
            "d.prepared('deskew').preprocessing, 'deskew' in d._prepared)")
    assert _fresh_python(code) == "True False True deskew True"
