# Sourced by scripts/run and scripts/test: a virtualenv with Loopgate installed, refreshed
# whenever pyproject.toml changes, the embedded FerretDB binary built into the cache, and the
# gateway executor's hot modules compiled with mypyc (skipped while current; without a C
# compiler the gateway runs them as Python).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Loopgate needs Python 3.11+ (found: $("$python" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv" >&2
  "$python" -m venv .venv
fi
stamp=.venv/.loopgate-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing Loopgate and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  echo "$want" > "$stamp"
fi
.venv/bin/loopgate db build >&2
.venv/bin/python -m gateway.native.build >&2 ||
  echo "warning: the gateway's compiled hot path was not built; it runs as Python" >&2
