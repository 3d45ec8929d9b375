"""`frontdesk test-conversations` end to end: a passing file exits 0, a failing one exits 1 and shows the exchange."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.integration

PASSING = """
conversations:
  - name: greets a WhatsApp customer by profile name and answers in SMS words
    channel: whatsapp
    name: Ana
    steps:
      - say: hi
        expect:
          contains: ["Ana", "Sam"]
          matches: "virtual assistant"
          slots: {customer_name: Ana}
          handed_over: false
      - say: how do I freeze my membership
        channel: sms
        expect:
          contains: "Did that help?"
          buttons: ["Yes", "No"]
          kb_answered: freeze_membership
"""

FAILING = """
conversations:
  - name: expects the wrong entry on purpose
    steps:
      - say: I want to cancel
        expect: {kb_offered: cancel_membership}
      - say: the first one
        expect:
          kb_answered: parking
          contains: "opening hours"
      - say: never played
"""


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR), HF_HUB_OFFLINE="1", RASA_TELEMETRY_ENABLED="false")
    return subprocess.run([sys.executable, "-m", "bot.ops.cli", "test-conversations", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)


def files(tmp_path: Path) -> tuple[Path, Path]:
    passing, failing = tmp_path / "passing.yml", tmp_path / "failing.yml"
    passing.write_text(PASSING)
    failing.write_text(FAILING)
    return passing, failing


def test_a_passing_file_exits_zero_against_a_running_assistant(assistant, tmp_path) -> None:
    passing, _ = files(tmp_path)
    result = run_cli(str(passing), "--url", assistant.url, "--token", assistant.token)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 conversation(s) in 1 file(s), 2 step(s) played: all passed" in result.stdout


def test_a_failing_step_exits_non_zero_and_prints_the_exchange_so_far(assistant, tmp_path) -> None:
    passing, failing = files(tmp_path)
    result = run_cli(str(passing), str(failing), "--url", assistant.url, "--token", assistant.token)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert f"FAIL {failing}:" in out and "'expects the wrong entry on purpose', step 2 (say: 'the first one')" in out
    assert "kb_answered: expected 'parking', slot is 'cancel_membership'" in out
    assert "contains: the reply does not contain 'opening hours'" in out
    exchange = out.split("exchange so far", 1)[1]
    assert "customer (rest): I want to cancel" in exchange and "customer (rest): the first one" in exchange
    assert "assistant: Hi there! I'm Sam" in exchange and "30 days' notice" in exchange
    assert "buttons: Cancel your membership (/choose_entry" in exchange and "Something else (/something_else)" in exchange
    assert "never played" not in out
    assert "2 conversation(s) in 2 file(s), 4 step(s) played: 1 failed" in out


def test_a_malformed_file_is_refused_before_any_talk(tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("conversations: [{name: goal, steps: [{say: hi, expect: {contain: x}}]}]")
    result = run_cli(str(bad), "--url", "http://127.0.0.1:9", "--token", "t", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"frontdesk: {bad}: line 1: conversation 1 (goal), step 1: unknown check(s) contain")


def test_without_a_url_the_runner_starts_the_assistant_and_stops_it(tmp_path) -> None:
    passing, _ = files(tmp_path)
    result = run_cli(str(passing), timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Starting the assistant for the conversation tests" in result.stdout
    log_dir = result.stdout.split("(log: ", 1)[1].split(")", 1)[0]
    assert not Path(log_dir).exists()  # its temporary state folder is gone: it was stopped and cleaned up
    leftovers = subprocess.run(["pgrep", "-f", log_dir.rsplit("/", 1)[0]], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
