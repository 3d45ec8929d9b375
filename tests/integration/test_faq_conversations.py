"""Customers asking questions: answered, offered choices, told honestly when the assistant doesn't know.

Runs against the real Rasa server and action server over REST, with a private
copy of the starter knowledge base that one test edits while the assistant runs.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.bot.kb.conftest import write_entry

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"faq-{uuid.uuid4().hex[:10]}"


def slots(assistant, sender: str) -> dict:
    return assistant.tracker(sender)["slots"]


def test_customer_asks_a_clear_question_and_gets_the_entry_answer(assistant) -> None:
    sender = new_sender()
    [reply] = assistant.say(sender, "How do I reset my password?")
    assert "Forgot password" in reply["text"]
    assert slots(assistant, sender)["kb_answered"] == "reset_password"
    assert slots(assistant, sender)["kb_decision"] == "answer"


@pytest.mark.parametrize("question, entry", [
    ("what time do you open on saturdays", "venue_opening_hours"),
    ("is there somewhere to park my car", "parking"),
    ("has anyone found the water bottle I left at the gym", "lost_property"),
])
def test_several_phrasings_reach_the_right_entry(assistant, question: str, entry: str) -> None:
    sender = new_sender()
    assistant.say(sender, question)
    assert slots(assistant, sender)["kb_answered"] == entry


def test_ambiguous_question_offers_choices_without_internal_names(assistant) -> None:
    sender = new_sender()
    [reply] = assistant.say(sender, "I want to cancel")
    assert reply["text"].startswith("Hi there! I'm Sam, S-Club's virtual assistant.\n\n"
                                    "Just to be sure I help with the right thing: did you mean")
    titles = [b["title"] for b in reply["buttons"]]
    assert {"Cancel your membership", "Cancel a class or court booking"} <= set(titles)
    assert titles[-1] == "Something else"
    assert "cancel_membership" not in reply["text"] and "_" not in " ".join(titles)
    assert set(slots(assistant, sender)["kb_offered"]) >= {"cancel_membership", "cancel_a_booking"}


def test_picking_a_choice_by_button_answers_that_entry(assistant) -> None:
    sender = new_sender()
    [reply] = assistant.say(sender, "I want to cancel")
    button = next(b for b in reply["buttons"] if b["title"] == "Cancel your membership")
    [answer] = assistant.say(sender, button["payload"])
    assert "30 days' notice" in answer["text"]
    assert slots(assistant, sender)["kb_answered"] == "cancel_membership"


def test_picking_a_choice_in_words_answers_that_entry(assistant) -> None:
    sender = new_sender()
    [reply] = assistant.say(sender, "I want to cancel")
    second = slots(assistant, sender)["kb_offered"][1]
    assistant.say(sender, "the second one")
    assert slots(assistant, sender)["kb_answered"] == second


def test_something_else_asks_the_customer_to_rephrase(assistant) -> None:
    sender = new_sender()
    [reply] = assistant.say(sender, "I want to cancel")
    something_else = reply["buttons"][-1]["payload"]
    [answer] = assistant.say(sender, something_else)
    assert "in your own words" in answer["text"] or "another way" in answer["text"]


@pytest.mark.parametrize("question", ["what's the capital of France?", "can you recommend a good pizza place", "my cat is sick"])
def test_out_of_scope_questions_are_admitted_honestly_with_a_way_to_a_person(assistant, question: str) -> None:
    sender = new_sender()
    [reply] = assistant.say(sender, question)
    # NLU's out_of_scope intent (weather, trivia, other businesses) or the knowledge base's fallback
    assert "I don't know the answer" in reply["text"] or "outside what I can help with" in reply["text"]
    assert [b["title"] for b in reply["buttons"]] == ["Talk to a person"]
    assert slots(assistant, sender)["kb_decision"] in ("fallback", None)
    assert slots(assistant, sender)["kb_answered"] is None


def test_an_editor_adds_an_entry_and_the_running_assistant_uses_it(assistant) -> None:
    question = "do you have a sauna or steam room?"
    [before] = assistant.say(new_sender(), question)
    assert "Our sauna" not in before["text"]
    path = write_entry(assistant.knowledge_base, "facilities/sauna.md", "Sauna and steam room",
                       ["do you have a sauna", "is there a steam room", "sauna opening times", "can I use the sauna"],
                       "Our sauna and steam room are open to all members from 07:00 to 21:00.")
    try:
        deadline = time.monotonic() + 20
        while True:
            sender = new_sender()
            [reply] = assistant.say(sender, question)
            if "Our sauna" in reply["text"]:
                break
            assert time.monotonic() < deadline, "the edit was not picked up within 20 s"
            time.sleep(0.5)
        assert slots(assistant, sender)["kb_answered"] == "sauna"
    finally:
        path.unlink()
