"""The real assistant with the CRM sync on: a REST conversation that goes quiet shows up in (fake) HubSpot exactly once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from bot.handoff import build_summary
from bot.messaging.store import handoffs, open_database
from tests.conftest import PROJECT_DIR
from tests.fakes.hubspot_api import FakeHubSpotAPI
from tests.integration.conftest import start_assistant

pytestmark = pytest.mark.integration

TOKEN = "pat-integration-test"


def assistant_file(tmp_path: Path, idle_timeout_s: float = 2, nps_rate: float | None = None) -> Path:
    settings = yaml.safe_load((PROJECT_DIR / "assistant.yml").read_text())
    settings["knowledge_base"]["folder"] = str(PROJECT_DIR / "knowledge_base")
    settings["crm"] = {"idle_timeout_s": idle_timeout_s, "poll_interval_s": 0.5}
    if nps_rate is not None:
        settings["feedback"]["nps_rate"] = nps_rate
    path = tmp_path / "crm-assistant.yml"
    path.write_text(yaml.safe_dump(settings))
    return path


def wait_for(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError("timed out")


def test_an_answered_conversation_becomes_one_contact_and_one_note(tmp_path: Path) -> None:
    with FakeHubSpotAPI(TOKEN) as hubspot:
        assistant = start_assistant(tmp_path, {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_API_BASE": hubspot.url,
                                               # idle 6 s: longer than a first turn on a loaded machine
                                               "ASSISTANT_FILE": str(assistant_file(tmp_path, idle_timeout_s=6))})
        try:
            assert "HubSpot CRM:   on" in assistant.output.read_text()
            sender = f"crm-{uuid.uuid4().hex[:8]}"
            assistant.say(sender, "hello", name="Gus")
            assistant.say(sender, "How do I reset my password?")
            assert hubspot.count("notes") == 0  # still going: nothing before the idle timeout

            [contact] = wait_for(lambda: hubspot.count("notes") and hubspot.contacts())
            time.sleep(3)  # several more scans: nothing written twice
            assert len(hubspot.contacts()) == 1 and hubspot.count("notes") == 1
        finally:
            assistant.stop()
        assert contact["frontdesk_chat_id"] == f"rest:{sender}" and contact["firstname"] == "Gus"
        [note] = hubspot.notes_of(contact["id"])
        body = note["hs_note_body"]
        assert "on rest" in body and "<li>How do I reset my password?</li>" in body
        assert "entries answered</strong>: reset_password" in body and "the customer went quiet" in body


def test_a_customer_who_rates_the_conversation_gets_one_note_with_the_ratings(tmp_path: Path) -> None:
    """The goodbye, the survey answers and the comment belong to the conversation they close."""
    with FakeHubSpotAPI(TOKEN) as hubspot:
        assistant = start_assistant(tmp_path, {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_API_BASE": hubspot.url,
                                               "ASSISTANT_FILE": str(assistant_file(tmp_path, 15, nps_rate=1.0))})
        try:
            sender = f"crm-s-{uuid.uuid4().hex[:6]}"
            assistant.say(sender, "How do I reset my password?", name="Rae")
            assistant.say(sender, "yes")
            closing = assistant.say(sender, "bye")
            assert "How would you rate your experience" in closing[-1]["text"]
            time.sleep(7)  # reading the question, longer than the closing grace (5 s)
            assert "How likely are you to recommend" in assistant.say(sender, "4")[-1]["text"]
            assert "Anything you'd like to tell us" in assistant.say(sender, "9")[-1]["text"]
            assert "Thank you for your feedback" in assistant.say(sender, "Quick and friendly, thanks")[-1]["text"]

            [contact] = wait_for(lambda: hubspot.count("notes") and hubspot.contacts())
            time.sleep(20)  # past the idle timeout: no second note with the survey answers
            assert hubspot.count("notes") == 1
        finally:
            assistant.stop()
        [note] = hubspot.notes_of(contact["id"])
        body = note["hs_note_body"]
        assert "Ratings</strong>: CSAT 4/5, NPS 9/10" in body and "closed in the chat" in body
        assert "<li>How do I reset my password?</li>" in body and "Customer</strong>: Quick and friendly, thanks" in body


def test_answered_and_handed_over_conversations_each_land_once_despite_rate_limits_and_errors(tmp_path: Path) -> None:
    with FakeHubSpotAPI(TOKEN) as hubspot:
        hubspot.fail_next(2, status=429, retry_after=1)
        hubspot.fail_next(3, status=500)
        assistant = start_assistant(tmp_path, {"HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_API_BASE": hubspot.url,
                                               "ASSISTANT_FILE": str(assistant_file(tmp_path, idle_timeout_s=8))})
        try:
            database = open_database(f"sqlite:///{assistant.state_dir / 'frontdesk.db'}")
            answered, handed = f"crm-a-{uuid.uuid4().hex[:6]}", f"crm-h-{uuid.uuid4().hex[:6]}"
            assistant.say(answered, "is there somewhere to park my car", name="Ann")
            assistant.say(handed, "I want to speak to a person", name="Hal")
            # what the handoff feature records: the handoff row, the agent's message, the resolution
            handoff_id = uuid.uuid4().hex
            summary = build_summary(assistant.tracker(handed)["events"], conversation_id=handed, channel="rest",
                                    recipient=handed, customer_name="Hal", reason="request", handed_over_at=time.time())
            with database.begin() as db:
                db.execute(handoffs.insert().values(
                    id=handoff_id, conversation_id=handed, channel="rest", recipient=handed, customer_name="Hal",
                    reason="request", status="waiting", created_at=time.time(), updated_at=time.time(),
                    summary=summary))
            ticket = wait_for(lambda: hubspot.count("tickets") and next(iter(hubspot.objects["tickets"].values())))
            assert ticket["properties"]["hs_pipeline_stage"] == "1"
            httpx.post(f"{assistant.url}/conversations/{handed}/tracker/events", params={"token": assistant.token},
                       json={"event": "bot", "text": "Hi Hal, Dana here: sorted.", "timestamp": time.time(),
                             "metadata": {"agent": "Dana", "handoff_id": handoff_id}}, timeout=30).raise_for_status()
            with database.begin() as db:
                db.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(
                    status="resolved", agent="Dana", closed_at=time.time(), updated_at=time.time()))

            wait_for(lambda: hubspot.count("notes") == 2 and ticket["properties"]["hs_pipeline_stage"] == "4")
            time.sleep(3)  # more scans: nothing written twice
            assert len(hubspot.contacts()) == 2 and hubspot.count("notes") == 2 and hubspot.count("tickets") == 1
        finally:
            assistant.stop()
        assert [r.status for r in hubspot.requests[:5]] == [429, 429, 500, 500, 500]
        contacts = {c["frontdesk_chat_id"]: c for c in hubspot.contacts()}
        [note_a] = hubspot.notes_of(contacts[f"rest:{answered}"]["id"])
        assert "parking" in note_a["hs_note_body"] and "answered by the assistant" in note_a["hs_note_body"]
        [note_h] = hubspot.notes_of(contacts[f"rest:{handed}"]["id"])
        assert "resolved by an agent" in note_h["hs_note_body"] and "Agent (Dana)" in note_h["hs_note_body"]
        [closed_ticket] = hubspot.tickets_of(contacts[f"rest:{handed}"]["id"])
        assert closed_ticket["hs_pipeline_stage"] == "4"
        assert closed_ticket["content"].startswith("Handoff: Hal on rest (")
        assert "Customer: I want to speak to a person" in closed_ticket["content"]


def test_without_a_token_the_sync_is_off_and_says_so(assistant) -> None:
    assert "HubSpot CRM:   off (set HUBSPOT_ACCESS_TOKEN" in assistant.output.read_text()
