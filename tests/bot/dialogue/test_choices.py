"""Typed replies to buttons on text channels mean what they say (issue 19.2)."""

from __future__ import annotations

from bot.dialogue.choices import chosen_payload, option_lines
from channels.twilio import numbered

NPS = [{"title": str(n), "payload": str(n)} for n in range(0, 11)]
CSAT = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_a_number_typed_at_the_0_to_10_scale_is_that_number() -> None:
    assert chosen_payload("8", NPS) == "8"
    assert chosen_payload("0", NPS) == "0" and chosen_payload("10", NPS) == "10"
    assert chosen_payload("11", NPS) is None


def test_a_number_typed_at_the_1_to_5_scale_is_that_number() -> None:
    assert [chosen_payload(str(n), CSAT) for n in range(1, 6)] == ["1", "2", "3", "4", "5"]


def test_a_scale_is_listed_as_its_numbers_not_numbered_again() -> None:
    assert option_lines(NPS) == ["0 1 2 3 4 5 6 7 8 9 10"]
    assert "11." not in numbered("How likely ...?", NPS, "Reply with a number.")


def test_words_still_get_numbers_and_a_number_picks_by_position() -> None:
    assert option_lines(YES_NO) == ["1. Yes", "2. No"]
    assert chosen_payload("2", YES_NO) == "/deny" and chosen_payload("yes", YES_NO) == "/affirm"
    assert chosen_payload("3", YES_NO) is None
