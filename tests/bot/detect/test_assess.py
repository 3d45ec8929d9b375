"""The conversation-level decision on tracker event lists, as the action server receives them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import section
from bot.detect import assess
from bot.errors import ConfigError

CALM = "what time does the pool open on sunday"
CALM_2 = "can I freeze my membership for a month"
PROBLEM = "why was I charged twice"
MILD = "this app is a joke"
MILD_2 = "still not working"
ANGRY = "I am furious. Absolutely unacceptable service."


def user(text: str, intent: str = "faq", confidence: float = 0.9, timestamp: float = 0.0) -> dict:
    return {"event": "user", "text": text, "timestamp": timestamp,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": []}}


def slot(name: str, value) -> dict:
    return {"event": "slot", "name": name, "value": value}


def bot(text: str = "...") -> dict:
    return {"event": "bot", "text": text}


def answered(text: str, decision: str = "answer") -> list[dict]:
    return [user(text), {"event": "action", "name": "action_answer_faq"}, slot("kb_decision", decision), bot()]


def test_a_calm_conversation_needs_nothing(scorer, config) -> None:
    events = [{"event": "session_started"}, user("hi", "greet"), bot("Hi!")] + answered(CALM) + answered(CALM_2)
    result = assess(events, scorer, config)
    assert result.action == "none" and result.level < config.frustrated
    assert len(result.trend) == 3 and result.failures == 0


def test_a_reported_problem_is_acknowledged_without_offering_a_person(scorer, config) -> None:
    result = assess(answered(CALM) + answered(PROBLEM), scorer, config)
    assert result.action == "acknowledge"
    assert result.problem >= config.problem and result.level < config.frustrated
    assert result.reasons[0].startswith("reports a problem")
    assert result.triggers[0].text == PROBLEM and result.triggers[0].reasons


def test_two_problem_reports_in_a_row_are_not_anger(scorer, config) -> None:
    result = assess(answered(PROBLEM) + answered("my booking disappeared from the app"), scorer, config)
    assert result.action == "acknowledge"


def test_a_calm_question_about_cancelling_is_not_a_problem(scorer, config) -> None:
    for text in ("how do I cancel my membership?", "I want to cancel my Friday class booking"):
        result = assess(answered(text), scorer, config)
        assert result.action == "none" and result.problem < config.problem, text


def test_anger_takes_precedence_over_a_problem(scorer, config) -> None:
    result = assess(answered("I'm furious, you charged me twice AGAIN"), scorer, config)
    assert result.action == "offer_person" and result.problem >= config.problem


def test_no_customer_message_needs_nothing(scorer, config) -> None:
    assert assess([{"event": "session_started"}], scorer, config).action == "none"


def test_one_mildly_frustrated_message_gets_an_empathetic_acknowledgement(scorer, config) -> None:
    result = assess(answered(CALM) + answered(MILD), scorer, config)
    assert result.action == "empathise"
    assert config.frustrated <= result.level < config.high
    assert [t.text for t in result.triggers] == [MILD]
    assert "'a joke'" in result.triggers[0].reasons


def test_a_very_angry_message_offers_a_person(scorer, config) -> None:
    result = assess(answered(CALM) + answered(ANGRY), scorer, config)
    assert result.action == "offer_person" and result.level >= config.high
    assert result.reasons[0].startswith("high frustration")
    assert "'furious'" in result.triggers[0].reasons


def test_frustration_in_two_messages_in_a_row_offers_a_person(scorer, config) -> None:
    result = assess(answered(MILD) + answered(MILD_2), scorer, config)
    assert result.action == "offer_person"
    assert result.reasons[0].startswith("frustrated in two messages in a row")
    assert [t.text for t in result.triggers] == [MILD, MILD_2]


def test_climbing_frustration_offers_a_person_where_a_single_step_only_empathises(scorer, config) -> None:
    assert assess(answered(PROBLEM) + answered(MILD), scorer, config).action == "empathise"
    result = assess(answered("thanks, that's great") + answered(PROBLEM) + answered(MILD), scorer, config)
    scores = result.trend
    assert scores[0] < scores[1] < scores[2]
    assert result.action == "offer_person" and result.reasons[0].startswith("frustration rising")


def test_two_fallbacks_in_a_row_offer_a_person_naming_both_messages(scorer, config) -> None:
    events = answered("do you sell gift cards", "fallback") + answered("can I buy a voucher for my mum", "fallback")
    result = assess(events, scorer, config)
    assert result.action == "offer_person" and result.failures == 2
    assert result.reasons == ("2 failed attempts in a row",)
    assert [t.text for t in result.triggers] == ["do you sell gift cards", "can I buy a voucher for my mum"]
    assert result.triggers[0].reasons == ("the assistant did not know the answer",)


def test_a_clarification_that_missed_and_an_answer_that_did_not_help_are_two_failures(scorer, config) -> None:
    events = answered("my booking disappeared", "clarify") + [user("none of those", "something_else"), bot()]
    events += answered("my class booking is not showing") + [slot("answer_helped", False)]
    result = assess(events, scorer, config)
    assert result.action == "offer_person" and result.failures == 2
    assert result.triggers[0].reasons == ("none of the offered answers fitted",)
    assert result.triggers[1].reasons == ("an answer did not help",)


def test_an_answer_between_two_fallbacks_breaks_the_run(scorer, config) -> None:
    events = answered("do you sell gift cards", "fallback") + answered(CALM) + answered("can I buy a voucher", "fallback")
    result = assess(events, scorer, config)
    assert result.action == "none" and result.failures == 1


def test_an_explicit_request_hands_over(scorer, config) -> None:
    events = answered(CALM) + [user("can I talk to a real person please", "request_human", 0.97, timestamp=12.5)]
    result = assess(events, scorer, config)
    assert result.action == "handover" and result.reasons == ("asked for a person",)
    assert result.triggers[0].text == "can I talk to a real person please" and result.triggers[0].timestamp == 12.5


def test_a_request_takes_precedence_over_frustration(scorer, config) -> None:
    events = answered(MILD) + [user("this is useless, get me a human NOW", "request_human", 0.9)]
    assert assess(events, scorer, config).action == "handover"


def test_an_unsure_request_intent_does_not_hand_over(scorer, config) -> None:
    events = [user("can I talk to a real person please", "request_human", config.request_confidence - 0.01)]
    assert assess(events, scorer, config).action == "none"


def test_a_request_intent_on_wording_unlike_any_request_does_not_hand_over(scorer, config) -> None:
    events = [user("do you sell gift cards", "request_human", 0.99)]
    assert assess(events, scorer, config).action == "none"


def test_the_request_button_hands_over(scorer, config) -> None:
    events = answered("do you sell gift cards", "fallback") + [user("/request_human", "request_human", 1.0)]
    assert assess(events, scorer, config).action == "handover"


def test_button_payloads_are_not_scored_as_wording(scorer, config) -> None:
    events = answered(CALM, "clarify") + [user('/choose_entry{"kb_entry":"a"}', "choose_entry", 1.0)]
    result = assess(events, scorer, config)
    assert result.action == "none" and len(result.trend) == 1


def test_asking_the_same_question_again_raises_frustration(scorer, config) -> None:
    once = assess(answered(CALM), scorer, config)
    again = assess(answered(CALM) + answered("What time does the pool open on Sunday?"), scorer, config)
    assert once.action == "none" and again.level > once.level
    assert again.action == "empathise"
    assert "asked the same thing again" in again.triggers[0].reasons


def test_a_hand_back_from_an_agent_starts_afresh(scorer, config) -> None:
    events = answered("do you sell gift cards", "fallback") + [{"event": "pause"}, user("still there?"), {"event": "resume"}]
    events += answered("can I buy a voucher", "fallback")
    result = assess(events, scorer, config)
    assert result.failures == 1 and result.action == "none"


def test_a_lower_failure_limit_is_honoured(scorer, config) -> None:
    events = answered("do you sell gift cards", "fallback")
    assert assess(events, scorer, config).action == "none"
    assert assess(events, scorer, replace(config, max_failures=1)).action == "offer_person"


def test_the_shipped_settings_load(config) -> None:
    assert 0 < config.frustrated < config.high < 1 and config.max_failures == 2


def test_unknown_or_inconsistent_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="detection.frustration: unknown setting"):
        section("detection", {"frustration": 0.5})
    with pytest.raises(ConfigError, match="frustrated <= high"):
        section("detection", {"frustrated": 0.9, "high": 0.5})
    with pytest.raises(ConfigError, match="detection.high: must be a number between 0 and 1"):
        section("detection", {"high": "lots"})
