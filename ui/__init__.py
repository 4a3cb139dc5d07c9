"""Streamlit glue shared by the pages (core/ holds the maths and never imports streamlit).

Each job has its home:

- :mod:`ui.state`: this session's state, typed, behind one key;
- :mod:`ui.caches`: what the whole server shares (datasets, the pre-trained model, slots);
- :mod:`ui.runs`: this session's training runs and their background jobs;
- :mod:`ui.models`: which model the pages show, uploads, its test-set evaluation;
- :mod:`ui.sidebar`: the sidebar every page shares;
- :mod:`ui.i18n`: this session's language and ``tr``, its translator;
- :mod:`ui.widgets`: widgets several pages draw (live charts, verdicts, "why p and not q");
- :mod:`ui.classroom`: Classroom mode: the class store, this session's class, sharing runs;
  :mod:`ui.class_page`: the Class page's parts (board, class set, teacher's tools);
- :mod:`ui.sweep_view`: the Sweep page's parts (starting a sweep, its status, its reading).

Pages use the names below (``ui.current_data()``, ...), never a module's private ones.
"""

# pandas is imported here, once, while the first session imports this package (the others
# wait for it): Streamlit looks pandas up in sys.modules when it draws a table, and ten
# sessions drawing their first table at once saw it half-imported ("partially initialized
# module 'pandas' has no attribute 'Series'", caught by the load test).
import pandas  # noqa: F401

from ui.caches import (
    PAGE_DRAWN,
    available_sources,
    current_data,
    data_for,
    dataset,
    default_model,
    run_slots,
)
from ui.i18n import tr
from ui.models import ModelChoice, chosen_model, model_choices, require_model, test_evaluation
from ui.refresh import live_seconds, waiting
from ui.runs import (
    MAX_KEPT_RUNS,
    current_job,
    job_active,
    kept_runs,
    owner_alive_check,
    reclaim,
    retire_current_job,
    run_name,
    run_record,
    session_runs,
    start_run,
    steer,
)
from ui.sidebar import sidebar
from ui.state import SessionState, session, tab
from ui.widgets import CHART_CONFIG, chart, live_figure, show_why, verdict

__all__ = [
    "CHART_CONFIG",
    "MAX_KEPT_RUNS", "PAGE_DRAWN", "ModelChoice", "SessionState", "available_sources",
    "chart", "chosen_model",
    "current_data", "current_job", "data_for", "dataset", "default_model", "job_active",
    "kept_runs",
    "live_figure", "live_seconds", "model_choices", "owner_alive_check", "reclaim",
    "require_model",
    "retire_current_job", "run_name", "run_record", "run_slots", "session", "session_runs",
    "show_why", "sidebar", "start_run", "steer", "tab", "test_evaluation", "tr", "verdict",
    "waiting",
]
