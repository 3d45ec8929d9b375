"""A reply during a clarification picks an offered entry by position only when picking is all it does."""

import pytest

from bot.kb.replies import ordinal_choice

OFFERED = ["cancel_membership", "cancel_a_booking"]


@pytest.mark.parametrize("reply, entry", [
    ("2", "cancel_a_booking"), ("the second one", "cancel_a_booking"), ("first", "cancel_membership"),
    ("I meant the first one please", "cancel_membership"), ("the last one", "cancel_a_booking"),
    ("number 1", "cancel_membership"),
])
def test_a_reply_that_only_picks_points_at_that_position(reply: str, entry: str) -> None:
    assert ordinal_choice(reply, OFFERED) == entry


@pytest.mark.parametrize("reply", [
    "<script>alert(1)</script> **bold?**", "I need 2 tickets for Saturday", "one more question about parking",
    "the first or the second", "3", "",
])
def test_a_new_message_with_a_number_in_it_picks_nothing(reply: str) -> None:
    assert ordinal_choice(reply, OFFERED) is None
