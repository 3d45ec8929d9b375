"""Importing the actions loads nothing: no TensorFlow or Rasa (with TensorFlow in the process, MiniLM took
142 ms per sentence here instead of 8 ms), no sentence model, no settings, no database. The action server
builds those once at start-up (bot/ops/action_process.py) and hands them to the actions."""

import json
import subprocess
import sys

from tests.conftest import PROJECT_DIR

PROBE = """
import json, os, sys
import bot.config.settings as settings, bot.messaging.store as store
read = []
settings.load_environment = lambda *a, **k: read.append("load_environment") or {}
settings.Settings.from_env = classmethod(lambda cls, *a, **k: read.append("Settings.from_env"))
store.open_database = lambda *a, **k: read.append("open_database")
environ = dict(os.environ)
import actions
heavy = ("tensorflow", "rasa", "keras", "torch", "sentence_transformers", "transformers")
print(json.dumps({"heavy": sorted(m for m in heavy if m in sys.modules), "read": read,
                  "environ_changed": dict(os.environ) != environ,
                  "state": os.path.exists(os.environ["FRONTDESK_STATE_DIR"])}))
"""


def test_importing_the_actions_loads_nothing_and_reads_no_settings(tmp_path) -> None:
    state = tmp_path / "state"
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "FRONTDESK_STATE_DIR": str(state)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "heavy": [], "read": [], "environ_changed": False, "state": False}
