"""The command line prints the tutorial's lines and writes a model that loads."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import numpy as np

from conftest import ROOT
from core.config import TrainConfig
from core.model_file import load_model
from core.train import TrainingRun


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "core.train", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_prints_tutorial_lines_and_saves_the_model(tmp_path):
    out = tmp_path / "m.npz"
    grid = tmp_path / "grid.png"
    result = _cli("--epochs", "10", "--out", str(out), "--grid", str(grid))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"EPOCH 1: Valid Loss=0\.\d{3}, Valid Acc=0\.\d{3}", lines[0])
    assert lines[1].startswith("EPOCH 10: ")
    assert not any(line.startswith("EPOCH 5:") for line in lines)
    assert re.search(r"^10 epochs in [\d.]+ s \(median [\d.]+ s per epoch\)$", result.stdout,
                     re.M), result.stdout
    acc = float(re.search(r"Test Acc=(0\.\d+)", result.stdout).group(1))
    assert 0.915 < acc < 0.93
    model = load_model(out)
    assert model.config["epochs"] == 10
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_deskew_trains_on_deskewed_digits_and_the_model_remembers(tmp_path, mnist):
    out = tmp_path / "d.npz"
    result = _cli("--deskew", "--epochs", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    match = re.search(r"Test Acc=(0\.\d+) \(\d+ of 10,000 wrong\), MNIST, deskewed", result.stdout)
    assert match, result.stdout
    assert float(match.group(1)) > 0.935  # measured 0.9463 (plain, 3 epochs: 0.9156)
    model = load_model(out)
    assert model.preprocessing == "deskew" and model.config["epochs"] == 3
    deskewed = mnist.prepared("deskew")
    assert model.score(deskewed.features("test"), deskewed.y_test) == float(match.group(1))


def test_cli_rejects_bad_arguments_with_a_message():
    result = _cli("--lr", "-3")
    assert result.returncode == 2
    assert "learning_rate must be between" in result.stderr and "Traceback" not in result.stderr
    result = _cli("--data", "/nonexistent/folder")
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_ctrl_c_keeps_the_last_full_epoch_and_exits_130(tmp_path, mnist):
    """SIGINT to a real training process: it puts back the weights of the last finished
    epoch (not the half-trained ones), says so, saves them and exits 130, like any
    command ended by Ctrl-C."""
    out = tmp_path / "m.npz"
    proc = subprocess.Popen([sys.executable, "-m", "core.train", "--epochs", "50",
                             "--batch-size", "10", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # printed when epoch 1 has ended
        assert first.startswith("EPOCH 1:"), first + proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    kept = int(re.search(r"the weights of epoch (\d+) are kept", stderr).group(1))
    assert "interrupted" in stderr and "Traceback" not in stderr and kept >= 1
    assert f"{kept} epochs in" in stdout and "model saved" in stdout
    saved = load_model(out)
    run = TrainingRun(mnist, TrainConfig(epochs=kept, batch_size=10))
    run.run()  # the same run, to the same epoch: the same weights
    np.testing.assert_allclose(saved.W, run.model.W, atol=1e-6)
