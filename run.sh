#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine:
#   bash run.sh app    set up what is missing, then start the dashboard
#   bash run.sh test   set up what is missing, then run every test (browser tests included)
# Everything Python goes into a virtual environment in the project (.venv), so the
# distribution's own python3 (PEP 668, "externally managed") works as well as pyenv or
# conda. PYTHON=/path/to/python picks the interpreter the environment is built from.
# A stamp of the requirements' hash makes a second start skip the installation.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -q
  # through env: sudo drops the caller's environment, so VAR=x before as_root would be lost
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# The interpreter the environment is made from, resolved, so another PYTHON rebuilds it.
base_python() { "$PY" -c 'import os, sys; print(os.path.realpath(sys.executable))'; }

make_venv() {
  local want
  want=$(base_python)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.base-python" 2>/dev/null)" = "$want" ]; then
    return
  fi
  echo "Creating the virtual environment $VENV from $want"
  rm -rf "$VENV"
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) in a package of its own
    local ver
    ver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    apt_install python3-venv "python$ver-venv" || apt_install python3-venv
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
  fi
  echo "$want" >"$VENV/.base-python"
}

# pip-install the given requirement files unless their hash matches the last install.
pip_install() {
  local stamp="$VENV/.installed-$1" sum
  shift
  sum=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    return
  fi
  echo "Installing Python packages into $VENV ($*)"
  local args=() f
  for f in "$@"; do args+=(-r "$f"); done
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}"
  echo "Compiling the training kernel (numba; cached, so no one waits for it later)"
  "$VENV/bin/python" -c 'from core.kernel import warm; warm()' ||
    echo "The kernel did not compile: training falls back to the NumPy step" >&2
  echo "$sum" >"$stamp"
}

debian_test_packages() {
  local need=()
  command -v chromium >/dev/null || need+=(chromium)
  [ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v git >/dev/null || need+=(git)
  # the classroom store's tests start a PostgreSQL server of their own (tests/postgres_support.py)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
  # Japanese glyphs in the browser tests' screenshots (tests/test_browser_ja.py)
  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
  if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
}

case "${1:-}" in
  app)
    make_venv
    pip_install app requirements.txt
    # one BLAS thread per training job: parallel sessions then share the cores well
    export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
    # each training thread would get its own glibc malloc arena: +26 MB per session (measured)
    export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
    # the address it will serve at, as Streamlit reads it: options over environment
    port=${STREAMLIT_SERVER_PORT:-8501}
    host=${STREAMLIT_SERVER_ADDRESS:-}
    args=("${@:2}")
    for ((i = 0; i < ${#args[@]}; i++)); do
      case "${args[i]}" in
        --server.port=*) port=${args[i]#*=} ;;
        --server.port) port=${args[i + 1]:-$port} ;;
        --server.address=*) host=${args[i]#*=} ;;
        --server.address) host=${args[i + 1]:-$host} ;;
      esac
    done
    everywhere=
    case "$host" in
      "" | 0.0.0.0 | "::") host=localhost everywhere=1 ;;  # every interface
      *:*) host="[$host]" ;;  # IPv6
    esac
    echo "Starting the dashboard: open http://$host:$port"
    # listening on every interface: the address other computers use (core/network.py)
    lan=$("$VENV/bin/python" -c 'from core.network import lan_address as a; print(a() or "")' \
      2>/dev/null || true)
    if [ -n "$everywhere" ] && [ -n "$lan" ]; then
      case "$lan" in *:*) lan="[$lan]" ;; esac
      echo "Students on this network open http://$lan:$port (the Class page shows it too;"
      echo "let port $port through this computer's firewall: README, A class from your laptop)"
    fi
    exec "$VENV/bin/python" serve.py "${@:2}"
    ;;
  test)
    debian_test_packages
    make_venv
    pip_install test requirements.txt requirements-dev.txt
    echo "Lint: ruff check . and lint-imports (the layers in pyproject.toml)"
    "$VENV/bin/ruff" check .
    "$VENV/bin/lint-imports" --no-cache
    exec "$VENV/bin/python" -m pytest -q "${@:2}"
    ;;
  *)
    echo "usage: bash run.sh app [streamlit options] | test [pytest options]" >&2
    exit 2
    ;;
esac
