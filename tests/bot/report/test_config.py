"""The report's period options and settings: local days, clock changes, bad values."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.config import AssistantConfig, section
from bot.errors import ConfigError
from bot.report.config import resolve_period
from tests.bot.report.conftest import utc
from tests.conftest import PROJECT_DIR

LONDON = ZoneInfo("Europe/London")
NOW = utc("2026-06-10 12:00:00")


def test_since_counts_back_from_now() -> None:
    assert (resolve_period(LONDON, NOW, since="7d").start, resolve_period(LONDON, NOW).end) == (NOW - 7 * 86400, NOW)
    assert resolve_period(LONDON, NOW, since="24h").start == NOW - 86400
    assert resolve_period(LONDON, NOW, since="2w").start == NOW - 14 * 86400
    assert resolve_period(LONDON, NOW).start == NOW - 7 * 86400  # the default


def test_from_and_to_are_whole_local_days_with_to_included() -> None:
    period = resolve_period(LONDON, NOW, from_date="2026-06-01", to_date="2026-06-07")
    assert (period.start, period.end) == (utc("2026-05-31 23:00:00"), utc("2026-06-07 23:00:00"))
    assert period.days() == [f"2026-06-0{i}" for i in range(1, 8)]
    assert resolve_period(LONDON, NOW, from_date="2026-06-09").end == utc("2026-06-10 23:00:00")  # to today


def test_the_day_the_clocks_go_forward_has_23_hours() -> None:
    period = resolve_period(LONDON, NOW, from_date="2026-03-29", to_date="2026-03-29")
    assert period.end - period.start == 23 * 3600
    assert period.days() == ["2026-03-29"]
    assert period.day(utc("2026-03-29 23:30:00")) == "2026-03-30"  # 00:30 BST


@pytest.mark.parametrize("kwargs, message", [
    ({"since": "7 days"}, "is not a duration"),
    ({"since": "0d"}, "is not a duration"),
    ({"from_date": "01/06/2026"}, "is not a date"),
    ({"to_date": "2026-06-07"}, "--to needs --from"),
    ({"from_date": "2026-06-07", "to_date": "2026-06-01"}, "is before --from"),
])
def test_bad_period_options_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_period(LONDON, NOW, **kwargs)


def test_the_shipped_settings_count_days_in_london() -> None:
    config = AssistantConfig.load(PROJECT_DIR / "assistant.yml").report
    assert config.time_zone == "Europe/London" and config.zone == LONDON


def test_an_unknown_time_zone_or_setting_is_named() -> None:
    with pytest.raises(ConfigError, match="report.time_zone: must be a time zone like Europe/London .got 'Europe/Atlantis'."):
        section("report", {"time_zone": "Europe/Atlantis"})
    with pytest.raises(ConfigError, match="report.timezone: unknown setting .did you mean time_zone"):
        section("report", {"timezone": "UTC"})
