"""Business hours in the team's time zone, holidays, and the honest wait estimate."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import AssistantConfig, section
from bot.errors import ConfigError
from bot.handoff.hours import TeamHours, describe_opening, describe_wait, estimate_wait_s
from tests.conftest import PROJECT_DIR, project_responses

VOICE = project_responses().voice()

LONDON = ZoneInfo("Europe/London")


def at(*parts) -> float:
    return dt.datetime(*parts, tzinfo=LONDON).timestamp()


HOURS = TeamHours.from_config(section("team", {"time_zone": "Europe/London", "hours": {
    "monday": "08:00-20:00", "friday": "08:00-20:00", "saturday": "09:00-17:00"}, "holidays": ["2026-12-25"]}))


def test_open_and_closed_follow_the_weekly_hours_in_the_team_zone() -> None:
    assert HOURS.is_open(at(2026, 11, 23, 8, 0))  # Monday 08:00
    assert not HOURS.is_open(at(2026, 11, 23, 20, 0))
    assert not HOURS.is_open(at(2026, 11, 24, 12, 0))  # Tuesday: not listed, closed
    summer = at(2026, 7, 6, 8, 30)  # Monday in BST: 07:30 UTC
    assert HOURS.is_open(summer) and dt.datetime.fromtimestamp(summer, dt.timezone.utc).hour == 7


def test_next_opening_skips_closed_days_and_holidays() -> None:
    friday_night = at(2026, 12, 18, 21, 0)
    assert HOURS.next_opening(friday_night) == dt.datetime(2026, 12, 19, 9, 0, tzinfo=LONDON)
    christmas_eve = at(2026, 12, 24, 21, 0)  # Friday 25th is a holiday -> Saturday 26th
    assert HOURS.next_opening(christmas_eve) == dt.datetime(2026, 12, 26, 9, 0, tzinfo=LONDON)
    assert not HOURS.is_open(at(2026, 12, 25, 12, 0))


def test_openings_are_described_in_words() -> None:
    now = at(2026, 12, 18, 21, 0)
    assert describe_opening(dt.datetime(2026, 12, 19, 9, 0, tzinfo=LONDON), now, VOICE) == "tomorrow at 09:00"
    assert describe_opening(dt.datetime(2026, 12, 21, 8, 0, tzinfo=LONDON), now, VOICE) == "on Monday 21 December at 08:00"
    assert describe_opening(dt.datetime(2026, 12, 18, 22, 0, tzinfo=LONDON), now, VOICE) == "today at 22:00"


def test_the_wait_is_queue_position_times_median_handling_and_unknown_without_history() -> None:
    assert estimate_wait_s(0, None) is None and describe_wait(None, VOICE) is None
    assert estimate_wait_s(2, 240.0) == 720.0
    assert describe_wait(720.0, VOICE) == "about 15 minutes"
    assert describe_wait(60.0, VOICE) == "a couple of minutes"
    assert describe_wait(4 * 60.0, VOICE) == "about 4 minutes"
    assert describe_wait(3 * 3600.0, VOICE) == "about 3 hours"


@pytest.mark.parametrize("team, words", [
    ({"time_zone": "Mars/Base"}, "team.time_zone: must be a time zone"),
    ({"hours": {"funday": "08:00-10:00"}}, "team.hours.funday: is not a day of the week"),
    ({"hours": {"monday": "10:00-08:00"}}, "team.hours.monday: closes before it opens"),
    ({"hours": {"monday": "8-10"}}, "team.hours.monday: must be opening hours like 08:00-20:00"),
    ({"holidays": ["25/12/2026"]}, "team.holidays: must be dates like 2026-12-25 .YYYY-MM-DD."),
])
def test_bad_team_settings_name_the_problem(team, words) -> None:
    with pytest.raises(ConfigError, match=words):
        section("team", team)


def test_the_shipped_assistant_file_has_valid_team_hours() -> None:
    hours = TeamHours.from_config(AssistantConfig.load(PROJECT_DIR / "assistant.yml").team)
    assert hours.time_zone == "Europe/London" and len(hours.hours) == 7 and hours.unclaimed_update_after_s > 0
