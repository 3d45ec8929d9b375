"""Time `frontdesk run` from launch to "Frontdesk is running." for one or more checkouts, alternating.

    python bench/startup_time.py --tree . --tree /tmp/before --rounds 3

Each start gets a fresh state folder (the knowledge-base index is built, as on a first start), the
trained models of this checkout (FRONTDESK_MODELS_DIR, so nothing is trained or fine-tuned), free
ports, and is stopped with SIGTERM once it is ready. Each tree runs with its own code (cwd, PYTHONPATH)
on this venv's Python. Prints one JSON line per tree: the median, fastest and slowest start in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
READY = b"Frontdesk is running."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_once(tree: Path, models: Path, timeout_s: float) -> float:
    with tempfile.TemporaryDirectory(prefix="frontdesk-startup-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(tree), FRONTDESK_STATE_DIR=str(Path(tmp) / "state"),
                   FRONTDESK_MODELS_DIR=str(models), RASA_PORT=str(free_port()), ACTIONS_PORT=str(free_port()),
                   RASA_API_TOKEN="startup-bench", HF_HUB_OFFLINE="1", RASA_TELEMETRY_ENABLED="false")
        log = Path(tmp) / "run.log"
        started = time.perf_counter()
        with open(log, "wb") as output:
            process = subprocess.Popen([sys.executable, "-m", "bot.ops.cli", "run"], cwd=tree, env=env,
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while READY not in log.read_bytes():
                if process.poll() is not None:
                    raise RuntimeError(f"{tree}: frontdesk run exited with {process.returncode}:\n{log.read_text()[-2000:]}")
                if time.perf_counter() - started > timeout_s:
                    raise RuntimeError(f"{tree}: not ready after {timeout_s} s")
                time.sleep(0.05)
            return time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", type=Path, help="a checkout to start (repeatable; default: this one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", type=Path, default=PROJECT_DIR / ".state" / "models")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    trees = [t.resolve() for t in args.tree or [PROJECT_DIR]]
    times: dict[Path, list[float]] = {t: [] for t in trees}
    for _ in range(args.rounds):
        for tree in trees:  # interleaved, so machine noise hits every tree alike
            times[tree].append(start_once(tree, args.models.resolve(), args.timeout))
    for tree, found in times.items():
        print(json.dumps({"tree": str(tree), "starts": len(found), "median_s": round(statistics.median(found), 1),
                          "min_s": round(min(found), 1), "max_s": round(max(found), 1)}))


if __name__ == "__main__":
    main()
