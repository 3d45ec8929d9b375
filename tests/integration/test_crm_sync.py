"""The real assistant with the CRM sync on: a REST conversation that goes quiet shows up in (fake) HubSpot exactly once."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR
from tests.fakes.hubspot_api import FakeHubSpotAPI
from tests.integration.conftest import start_assistant

pytestmark = pytest.mark.integration

TOKEN = "pat-integration-test"


def assistant_file(tmp_path: Path) -> Path:
    settings = yaml.safe_load((PROJECT_DIR / "assistant.yml").read_text())
    settings["knowledge_base"]["folder"] = str(PROJECT_DIR / "knowledge_base")
    settings["crm"] = {"idle_timeout_s": 2, "poll_interval_s": 0.5}
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
                                               "ASSISTANT_FILE": str(assistant_file(tmp_path))})
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


def test_without_a_token_the_sync_is_off_and_says_so(assistant) -> None:
    assert "HubSpot CRM:   off (set HUBSPOT_ACCESS_TOKEN" in assistant.output.read_text()
