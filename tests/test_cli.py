"""The command line prints the tutorial's lines and writes a model that loads."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT
from core.model import SoftmaxRegression


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
    acc = float(re.search(r"Test Acc=(0\.\d+)", result.stdout).group(1))
    assert 0.915 < acc < 0.93
    model = SoftmaxRegression.load(out)
    assert model.config["epochs"] == 10
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_rejects_bad_arguments_with_a_message():
    result = _cli("--lr", "-3")
    assert result.returncode == 2
    assert "learning_rate must be between" in result.stderr and "Traceback" not in result.stderr
    result = _cli("--data", "/nonexistent/folder")
    assert result.returncode == 2 and "not a folder" in result.stderr
