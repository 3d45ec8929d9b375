"""An editor rewords the catalogue, and customers see it: a reworded copy (RESPONSES_FILE) is what the assistant
says from its start, and an edit saved while it runs is what it says next, with no restart and no Python."""

from __future__ import annotations

import time

import pytest

from tests.conftest import PROJECT_DIR
from tests.integration.conftest import start_assistant

pytestmark = pytest.mark.integration

SURVEY = 'csat: "How would you rate your experience today, from 1 (poor) to 5 (excellent)?"'


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_a_reworded_greeting_and_survey_reach_customers(tmp_path) -> None:
    catalogue = tmp_path / "responses.yml"
    shipped = (PROJECT_DIR / "responses" / "en.yml").read_text(encoding="utf-8")
    assert 'hello: "Hi there!"' in shipped and SURVEY in shipped
    catalogue.write_text(shipped.replace('hello: "Hi there!"', 'hello: "Good morning and welcome!"'), encoding="utf-8")
    assistant = start_assistant(tmp_path, {"RESPONSES_FILE": str(catalogue)})
    try:
        customer = assistant.visitor()
        greeting = texts(customer.say("hi"))
        assert greeting.startswith("Good morning and welcome! I'm Sam, S-Club's virtual assistant.")

        # Saved while the assistant runs: the next survey asks it the new way (the file is re-read within a second).
        catalogue.write_text(catalogue.read_text().replace(
            SURVEY, 'csat: "On a scale from 1 (poor) to 5 (excellent), how did we do today?"'), encoding="utf-8")
        time.sleep(2.5)
        closing = texts(customer.say("bye"))
        assert "On a scale from 1 (poor) to 5 (excellent), how did we do today?" in closing
        assert "How would you rate your experience" not in closing
    finally:
        assistant.stop()
