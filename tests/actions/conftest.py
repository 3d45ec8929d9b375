"""Action tests run the real actions (and the real knowledge base) in-process,
with trackers built from JSON files named after the situation."""

import json
import os
import tempfile
from pathlib import Path

# The actions build the knowledge-base index at import: keep its state out of the project.
os.environ.setdefault("FRONTDESK_STATE_DIR", tempfile.mkdtemp(prefix="frontdesk-actions-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rasa_sdk import Tracker  # noqa: E402

TRACKERS = Path(__file__).with_name("trackers")


def tracker(name: str, **overrides) -> Tracker:
    state = json.loads((TRACKERS / f"{name}.json").read_text())
    state.update(overrides)
    return Tracker.from_dict(state)
