#!/usr/bin/env bash
# One entry point for a fresh machine:
#   bash run.sh app    install what is missing, then start the dashboard
#   bash run.sh test   install what is missing, then run every test (browser tests included)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

need_apt=()
[ "${1:-}" = test ] && ! command -v chromium >/dev/null && need_apt+=(chromium)
[ "${1:-}" = test ] && [ ! -d /usr/share/datasets/fashion-mnist ] && need_apt+=(dataset-fashion-mnist)
[ "${1:-}" = test ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] && need_apt+=(nginx)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

case "${1:-}" in
  app)
    $PY -m pip install -q -r requirements.txt
    # one BLAS thread per training job: parallel sessions then share the cores well
    export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
    # each training thread would get its own glibc malloc arena: +26 MB per session (measured)
    export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
    exec $PY -m streamlit run app.py "${@:2}"
    ;;
  test)
    $PY -m pip install -q -r requirements.txt -r requirements-dev.txt
    exec $PY -m pytest -q "${@:2}"
    ;;
  *)
    echo "usage: bash run.sh app | test" >&2
    exit 2
    ;;
esac
