"""The service report over the tracker store the real Rasa server wrote: customers talk over REST, then `frontdesk report`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bot.report.records import RecordReader
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.integration


def test_conversations_the_assistant_stored_are_reported(assistant, tmp_path: Path) -> None:
    answered, unknown = f"report-{uuid.uuid4().hex[:8]}", f"report-{uuid.uuid4().hex[:8]}"
    started = time.time()
    assistant.say(answered, "How do I reset my password?")
    assistant.say(unknown, "can I bring my pet iguana to the sauna")
    url = f"sqlite:///{assistant.state_dir / 'frontdesk.db'}"

    ours = {c.conversation_id: c for c in RecordReader(url).conversations(started - 1, time.time() + 1)
            if c.conversation_id in (answered, unknown)}
    assert set(ours) == {answered, unknown}
    assert ours[answered].channel == "rest" and ours[unknown].channel == "rest"
    assert ours[answered].decisions == ["answer"] and ours[answered].answered == ["reset_password"]
    assert 0 < ours[answered].first_reply_at - ours[answered].started_at < 30
    # first response counts from the message reaching the server, before Rasa read it and stamped its event
    [asked] = [e for e in assistant.tracker(answered)["events"] if e["event"] == "user"]
    assert started <= asked["metadata"]["received_at"] <= asked["timestamp"]
    assert ours[answered].started_at == asked["metadata"]["received_at"]
    assert ours[unknown].decisions == ["fallback"]
    assert [g.text for g in ours[unknown].gaps] == ["can I bring my pet iguana to the sauna"]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FRONTDESK_"))}
    env.update(PYTHONPATH=str(PROJECT_DIR), FRONTDESK_STATE_DIR=str(assistant.state_dir), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "bot.ops.cli", "report", "--since", "1h", "--database-url", url,
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env,
                            cwd=PROJECT_DIR, timeout=300)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["overall"]["conversations"] >= 2 and metrics["channels"]["rest"]["conversations"] >= 2
    assert metrics["overall"]["knowledge_base"]["fallback"] >= 1
    samples = [s for c in metrics["gaps"]["clusters"] for s in c["samples"]]
    assert "can I bring my pet iguana to the sauna" in samples
    assert "data:image/png;base64," in (tmp_path / "out" / "report.html").read_text()
