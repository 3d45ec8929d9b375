"""Abuse aimed at the assistant or staff is recognised; frustration about a situation is not."""

import yaml
import pytest

from bot.dialogue import boundaries
from tests.conftest import PROJECT_DIR


@pytest.mark.parametrize(
    "text",
    ["you're useless", "You are SO stupid", "stupid bot", "f*** you", "fuck off", "shut up", "you idiot",
     "your staff are idiots", "you piece of shit", "fucking bot", "go to hell", "screw you guys",
     "can you stop being useless", "you f***ing moron", "piss off bot"],
)
def test_abuse_aimed_at_someone_is_recognised(text: str) -> None:
    assert boundaries.is_abusive(text)


@pytest.mark.parametrize(
    "text",
    ["I feel stupid, can you help?", "this fucking app won't load", "your app is rubbish", "I am so stupid",
     "the useless app crashed again, can you fix it", "thank you", "how do I cancel? this is useless",
     "damn, my payment failed", "can you tell me the class timetable", "I'm a bloody idiot, I forgot my card"],
)
def test_frustration_and_ordinary_messages_are_not_abuse(text: str) -> None:
    assert not boundaries.is_abusive(text)


def test_the_nlu_lookup_table_is_the_lexicon() -> None:
    data = yaml.safe_load((PROJECT_DIR / "data" / "nlu" / "boundaries.yml").read_text())
    lookup = next(item for item in data["nlu"] if item.get("lookup") == "insult_word")
    listed = [line[2:].strip() for line in lookup["examples"].splitlines() if line.strip()]
    assert listed == list(boundaries.INSULT_WORDS)


def user(text: str, intent: str = "faq") -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def test_abusive_messages_are_counted_per_session_by_intent_or_lexicon() -> None:
    events = [user("you idiot", "insult"), {"event": "session_started"}, user("hi", "greet"),
              user("shut up you useless bot", "nlu_fallback"), user("piss off", "insult")]
    assert boundaries.abusive_messages(events) == 2


def test_the_first_boundary_is_calm_and_varies_the_second_ends_the_chat(responses) -> None:
    first = {boundaries.boundary_message(responses, f"c{i}", 1) for i in range(30)}
    assert len(first) > 1 and all("keep our conversation respectful" in text for text in first)
    assert boundaries.boundary_message(responses, "c1", 2).startswith("I'm going to end our chat here")
    assert boundaries.boundary_message(responses, "c1", 1) == boundaries.boundary_message(responses, "c1", 1)


def test_a_weak_insult_guess_without_the_lexicon_is_not_abuse() -> None:
    assert not boundaries.abusive_message("what a load of rubbish", {"name": "insult", "confidence": 0.49})
    assert boundaries.abusive_message("you're a joke", {"name": "insult", "confidence": 0.86})
    assert boundaries.abusive_message("stupid bot", {"name": "faq", "confidence": 0.9})


def test_out_of_scope_replies_vary_name_what_the_assistant_does_and_offer_a_person(responses) -> None:
    replies = [boundaries.out_of_scope_message(responses.voice("rest", f"c:{turn}")) for turn in range(12)]
    sms = boundaries.out_of_scope_message(responses.voice("sms", "c:1"))
    assert "call +44 20 7946 0000" in sms["text"] and len(sms["text"]) < 160
    assert len({r["text"] for r in replies}) > 1
    assert all("outside what I can help with" in r["text"] and "memberships" in r["text"] for r in replies)
    assert all(r["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}] for r in replies)
