#!/usr/bin/env bash
# Start a stock `rasa init` bot (moodbot, default DIET/TED config, in-memory
# tracker store) on 127.0.0.1:${1:-5006}, as the baseline for bench/rest_load.py.
# Trains it the first time into bench/out/stockbot (git-ignored; a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-5006}
dir=bench/out/stockbot
export HF_HUB_OFFLINE=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3
if [ ! -d "$dir/models" ]; then
  mkdir -p "$dir"
  .venv/bin/rasa init --no-prompt --init-dir "$dir" >"$dir/init.log" 2>&1
fi
cd "$dir"
exec ../../../.venv/bin/rasa run --port "$port" --interface 127.0.0.1
