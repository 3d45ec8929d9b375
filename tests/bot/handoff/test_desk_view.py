"""How a handoff reads on the desk: UK-style times in the team's zone, a one-line preview for the queue."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.handoff.desk_view import PREVIEW_CHARS, local_time, preview

LONDON = ZoneInfo("Europe/London")


def at(text: str, zone: ZoneInfo = LONDON) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def test_times_read_as_a_uk_reader_expects_in_the_teams_zone() -> None:
    winter = at("2026-12-06 17:20")
    assert local_time(winter, LONDON, now=winter) == "Sun 6 Dec, 17:20"
    summer = at("2026-06-01 08:05")  # 07:05 UTC in British Summer Time
    assert local_time(summer, LONDON, now=winter) == "Mon 1 Jun, 08:05"
    assert local_time(summer, ZoneInfo("UTC"), now=winter) == "Mon 1 Jun, 07:05"
    assert local_time(winter, ZoneInfo("America/New_York"), now=winter) == "Sun 6 Dec, 12:20"


def test_another_year_is_named() -> None:
    assert local_time(at("2025-12-31 23:59"), LONDON, now=at("2026-01-01 00:01")) == "Wed 31 Dec 2025, 23:59"


def test_a_missing_time_is_none() -> None:
    assert local_time(None, LONDON) is None and local_time("1765041600", LONDON) is None and local_time(True, LONDON) is None


def test_the_preview_is_the_customers_first_own_question_on_one_line() -> None:
    summary = {"key_messages": ["When is\ncustomer service open?", "THIS IS USELESS"],
               "trigger_messages": ["talk to a human"], "reason_text": "the customer asked for a person"}
    assert preview(summary) == "When is customer service open?"
    assert preview(summary | {"key_messages": []}) == "talk to a human"
    assert preview({"key_messages": [], "trigger_messages": [], "reason_text": "abusive messages"}) == "abusive messages"
    assert preview({}) == ""


def test_a_long_preview_is_shortened() -> None:
    shown = preview({"key_messages": ["word " * 40]})
    assert len(shown) <= PREVIEW_CHARS and shown.endswith("…")
