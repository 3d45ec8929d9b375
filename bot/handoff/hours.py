"""When the company's team works (assistant.yml `team:`) and how long a customer will wait for a person.

    team:
      time_zone: Europe/London
      hours: {monday: "08:00-20:00", ..., sunday: "09:00-17:00"}   # a day left out is closed
      holidays: ["2026-12-25"]
      unclaimed_update_after_s: 300

Times are compared in the team's time zone (zoneinfo), so daylight-saving
changes need no care from whoever edits the file.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config import DAYS, TeamConfig, opening_hours
from bot.responses import Voice


@dataclass(frozen=True)
class TeamHours:
    time_zone: str = "Europe/London"
    hours: dict[int, tuple[dt.time, dt.time]] = field(default_factory=dict)  # weekday (0 = Monday) -> open, close
    holidays: frozenset[dt.date] = frozenset()
    unclaimed_update_after_s: float = 300.0

    @classmethod
    def from_config(cls, team: TeamConfig) -> TeamHours:
        """The working hours of assistant.yml's `team:` section (already checked when the file was read)."""
        hours = {DAYS.index(day): span for day, text in team.hours.items() if (span := opening_hours(text)) is not None}
        holidays = frozenset(dt.date.fromisoformat(day) for day in team.holidays)
        return cls(team.time_zone, hours, holidays, team.unclaimed_update_after_s)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def _span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        opens, closes = self.hours[day.weekday()]
        return dt.datetime.combine(day, opens, self.zone), dt.datetime.combine(day, closes, self.zone)

    def is_open(self, at: float) -> bool:
        local = dt.datetime.fromtimestamp(at, self.zone)
        span = self._span(local.date())
        return span is not None and span[0] <= local < span[1]

    def next_opening(self, at: float) -> dt.datetime | None:
        """The team's next opening time (aware, in its zone) after `at`; None if no hours are configured."""
        local = dt.datetime.fromtimestamp(at, self.zone)
        for offset in range(0, 370):
            span = self._span(local.date() + dt.timedelta(days=offset))
            if span is not None and span[0] > local:
                return span[0]
        return None


def describe_opening(opening: dt.datetime, now: float, voice: Voice) -> str:
    """'today at 08:00', 'tomorrow at 09:00' or 'on Monday 28 December at 08:00' (team's local time;
    handoff.opening_times; the day and month names are English)."""
    today = dt.datetime.fromtimestamp(now, opening.tzinfo).date()
    clock = opening.strftime("%H:%M")
    if opening.date() == today:
        return voice.say("handoff.opening_times.today", time=clock)
    if opening.date() == today + dt.timedelta(days=1):
        return voice.say("handoff.opening_times.tomorrow", time=clock)
    return voice.say("handoff.opening_times.later", weekday=opening.strftime("%A"), day=opening.day,
                     month=opening.strftime("%B"), time=clock)


def estimate_wait_s(ahead: int, handling_times_median: float | None) -> float | None:
    """Queue position (those ahead, plus this one) x the median recent handling time; None when unknown."""
    if handling_times_median is None:
        return None
    return (ahead + 1) * handling_times_median


def describe_wait(seconds: float | None, voice: Voice) -> str | None:
    """'about 5 minutes' (rounded up to 5 minutes beyond a few; handoff.wait_times), or None when unknown."""
    if seconds is None:
        return None
    minutes = max(1, math.ceil(seconds / 60))
    if minutes <= 2:
        return voice.say("handoff.wait_times.couple_of_minutes")
    if minutes > 5:
        minutes = 5 * math.ceil(minutes / 5)
    if minutes >= 90:
        return voice.say("handoff.wait_times.hours", hours=round(minutes / 60))  # 2 or more
    return voice.say("handoff.wait_times.minutes", minutes=minutes)
