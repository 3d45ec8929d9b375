#!/usr/bin/env bash
# Make sure .venv exists with Python 3.10 and the locked dependencies.
# Skips all work when .venv already matches requirements.lock and pyproject.toml.
# Every failure is one line naming the problem and the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.frontdesk-installed"
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)

is_py310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python() {
  if command -v python3.10 >/dev/null 2>&1 && is_py310 python3.10; then
    command -v python3.10; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local root cand
    root=$(pyenv root)
    for cand in $(ls -d "$root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
      if is_py310 "$cand"; then echo "$cand"; return; fi
    done
  fi
  return 1
}

if [ -d "$VENV" ] && ! is_py310 "$VENV/bin/python"; then
  echo "ensure-venv: $VENV is broken or not Python 3.10; rebuilding it from scratch."
  rm -rf "$VENV"
fi

if [ ! -d "$VENV" ]; then
  if ! PY=$(find_python); then
    echo "ensure-venv: Python 3.10 not found (Rasa 3.6 needs it): install it, e.g. 'pyenv install 3.10' or your OS's python3.10 package, then rerun." >&2
    exit 1
  fi
  echo "Creating $VENV with $PY"
  "$PY" -m venv "$VENV" || { echo "ensure-venv: '$PY -m venv' failed: install the venv module for Python 3.10 (e.g. python3.10-venv)." >&2; exit 1; }
fi

if [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

echo "Installing locked dependencies into $VENV (first time: a few minutes and several GB; log: $VENV/install.log) ..."
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -c requirements.lock -e '.[dev]' >"$VENV/install.log" 2>&1; then
  echo "ensure-venv: pip install failed: $(grep -E 'ERROR' "$VENV/install.log" | tail -1 | cut -c1-250) (full log: $VENV/install.log; check the network to the package index, or 'rm -rf $VENV' and rerun)" >&2
  exit 1
fi
if ! "$VENV/bin/python" -c 'import rasa, rasa_sdk, sentence_transformers, faiss, telegram, twilio' >>"$VENV/install.log" 2>&1; then
  echo "ensure-venv: the installed packages do not import together: $(tail -1 "$VENV/install.log" | cut -c1-250) (full log: $VENV/install.log)" >&2
  exit 1
fi
echo "$want" >"$STAMP"
echo "Dependencies installed."
