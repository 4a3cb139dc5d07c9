#!/usr/bin/env bash
# Several replicas of the dashboard behind nginx with cookie-sticky sessions, on one
# machine, in the foreground (Ctrl-C stops everything). See deploy/README.md.
#
# Usage:
#   deploy/replicas.sh [N] [-- STREAMLIT_ARGS...]
#       start N Streamlit replicas (default 2) on 127.0.0.1 and nginx in front of them;
#       open http://$PROXY_LISTEN (default http://127.0.0.1:8501). Extra arguments after
#       `--` go to every `streamlit run`, e.g. -- --server.disconnectedSessionTTL 300
#   deploy/replicas.sh render LISTEN HOST:PORT...
#       only print the nginx config for replicas at HOST:PORT... (r1, r2, ... in that
#       order), nginx listening on LISTEN; for a system nginx or replicas on other hosts.
#
# Environment (all optional):
#   PROXY_LISTEN         where nginx listens (127.0.0.1:8501; 0.0.0.0:8501 for a classroom)
#   REPLICA_BASE_PORT    replica K listens on 127.0.0.1:(REPLICA_BASE_PORT + K - 1) (8601)
#   STREAMLIT_SERVER_COOKIE_SECRET  shared by all replicas (default: a random one per start)
#   CLASSROOM_DB_URL     the class database every replica shares, e.g.
#                        postgresql+psycopg://classroom:PASSWORD@DBHOST:5432/classroom
#                        (default: the SQLite file classroom-data/classes.sqlite3, which the
#                        replicas on this machine share; see deploy/README.md)
#   TRAINING_SLOTS       concurrent training runs per replica (default: cores / N, >= 1)
#   OPENBLAS_NUM_THREADS BLAS threads per training run (default 1)
#   NGINX, PYTHON        the binaries (default: nginx or /usr/sbin/nginx, and the project's
#                        .venv/bin/python that `bash run.sh app` sets up, else python3)
#   KEEP_TMP=1           keep the temporary prefix (config, nginx and replica logs)
#
# The replicas inherit this script's environment (it is not cleaned), so CLASSROOM_DB_URL
# and any other variable the app reads (CLASSROOM_DIR, CLASSROOM_DAYS, ...) reach every replica.
#
# Needs Debian's nginx (`apt-get install -y nginx`; bookworm's nginx-light is the same
# binary plus the echo module). Works as root (nginx workers then run as nobody) or as
# any user (all ports are above 1024, all files in a private temporary directory).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
TEMPLATE=$HERE/nginx.conf.template

# render LISTEN HOST:PORT... : the nginx config on stdout
render() {
  local listen=$1; shift
  [ $# -ge 1 ] || { echo "render: no replica given" >&2; return 2; }
  local user="# not root: the workers run as the invoking user"
  [ "$(id -u)" -eq 0 ] && user="user nobody nogroup;"
  local upstreams="" routes="" served="" k=0 addr other esc
  for addr in "$@"; do
    k=$((k + 1))
    upstreams+="    upstream st_r$k {"$'\n'"        zone st_r$k 64k;"$'\n'
    upstreams+="        server $addr max_fails=1 fail_timeout=10s;"$'\n'
    for other in "$@"; do
      [ "$other" = "$addr" ] || upstreams+="        server $other backup;"$'\n'
    done
    upstreams+="    }"$'\n'
    routes+="        r$k st_r$k;"$'\n'
    esc=$(printf '%s' "$addr" | sed 's/[].[]/\\&/g')  # a regex for the address
    served+="        \"~(^|\\s)$esc\$\" r$k;"$'\n'
  done
  upstreams+="    upstream st_any {"$'\n'"        zone st_any 64k;"$'\n'
  for addr in "$@"; do
    upstreams+="        server $addr max_fails=1 fail_timeout=10s;"$'\n'
  done
  upstreams+="    }"
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      @USER@) printf '%s\n' "$user" ;;
      @UPSTREAMS@) printf '%s\n' "$upstreams" ;;
      @ROUTES@) printf '%s' "$routes" ;;
      @SERVED_BY@) printf '%s' "$served" ;;
      *) printf '%s\n' "${line//@LISTEN@/$listen}" ;;
    esac
  done <"$TEMPLATE"
}

if [ "${1:-}" = render ]; then
  shift
  [ $# -ge 2 ] || { echo "usage: $0 render LISTEN HOST:PORT..." >&2; exit 2; }
  render "$@"
  exit
fi

N=2
if [ $# -gt 0 ] && [ "$1" != -- ]; then N=$1; shift; fi
[ "${1:-}" = -- ] && shift
case "$N" in '' | *[!0-9]* | 0) echo "usage: $0 [N] [-- STREAMLIT_ARGS...]" >&2; exit 2 ;; esac

DEFAULT_PY=python3
[ -x "$ROOT/.venv/bin/python" ] && DEFAULT_PY=$ROOT/.venv/bin/python  # set up by run.sh
PY=${PYTHON:-$DEFAULT_PY}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { echo "nginx is missing: apt-get install -y nginx" >&2; exit 1; }
PROXY_LISTEN=${PROXY_LISTEN:-127.0.0.1:8501}
BASE=${REPLICA_BASE_PORT:-8601}
CORES=$(nproc 2>/dev/null || echo 1)
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}  # bounded malloc arenas: +26 MB/session without
export TRAINING_SLOTS=${TRAINING_SLOTS:-$(( CORES / N > 0 ? CORES / N : 1 ))}
export STREAMLIT_SERVER_COOKIE_SECRET=${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PY" -c 'import secrets; print(secrets.token_hex(32))')}

PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/replicas.XXXXXX")
chmod 755 "$PREFIX"  # nginx workers (nobody, when started as root) create temp files here
pids=()
cleanup() {
  trap - EXIT INT TERM
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_TMP:-}" = 1 ]; then echo "logs kept in $PREFIX" >&2; else rm -rf "$PREFIX"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

addrs=()
for k in $(seq 1 "$N"); do
  port=$((BASE + k - 1))
  addrs+=("127.0.0.1:$port")
  (cd "$ROOT" && exec "$PY" serve.py --server.address 127.0.0.1 \
    --server.port "$port" --server.headless true "$@") >"$PREFIX/replica-$k.log" 2>&1 &
  pids+=($!)
done

# wait (up to a minute) until every replica answers its health check
healthy() {
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "http://$1/_stcore/health" 2>/dev/null
}
for k in $(seq 1 "$N"); do
  for tries in $(seq 120 -1 0); do
    healthy "${addrs[k-1]}" && break
    if [ "$tries" -eq 0 ] || ! kill -0 "${pids[k-1]}" 2>/dev/null; then
      echo "replica $k (${addrs[k-1]}) did not start:" >&2; cat "$PREFIX/replica-$k.log" >&2
      exit 1
    fi
    sleep 0.5
  done
done

render "$PROXY_LISTEN" "${addrs[@]}" >"$PREFIX/nginx.conf"
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -t -q
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" -e "$PREFIX/error.log" -g 'daemon off;' &
pids+=($!)

echo "$N replicas (${addrs[*]}, TRAINING_SLOTS=$TRAINING_SLOTS each) behind nginx:" \
  "http://$PROXY_LISTEN  (logs: $PREFIX; Ctrl-C stops)" >&2
# run until any of them exits (or Ctrl-C); the EXIT trap stops the rest
set +e
wait -n "${pids[@]}"
status=$?
echo "a process exited (status $status); stopping the others" >&2
exit "$status"
