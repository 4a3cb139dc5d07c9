"""core/ must stay usable without Streamlit (from a CLI, from tests)."""

import subprocess
import sys

from conftest import ROOT


def test_importing_core_does_not_import_streamlit_or_keras():
    code = ("import sys, core.data, core.model, core.train, core.metrics, core.config, core.bench; "
            "import pkgutil, importlib, core; "
            "[importlib.import_module('core.' + m.name) "
            "for m in pkgutil.iter_modules(core.__path__)]; "
            "print(sorted(m for m in ('streamlit', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
