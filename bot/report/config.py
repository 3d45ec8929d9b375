"""The period a report covers (its settings are assistant.yml's `report:` section, bot.config.ReportConfig).

Days are calendar days in the configured time zone (Europe/London unless
assistant.yml says otherwise), so a conversation at 00:30 BST on 1 June
belongs to 1 June even though it is 23:30 UTC on 31 May.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.errors import ConfigError

_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNIT_S = {"h": 3600, "d": 86400, "w": 7 * 86400}
SHORT_DAYS = 3  # a period touching at most this many days is charted per hour


@dataclass(frozen=True)
class Period:
    """[start, end) in Unix seconds, and the zone its days are counted in."""

    start: float
    end: float
    zone: ZoneInfo

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.zone)

    def day(self, ts: float) -> str:
        """The calendar day of `ts` in the report's zone, as YYYY-MM-DD."""
        return self.local(ts).date().isoformat()

    def days(self) -> list[str]:
        """Every calendar day the period touches, in order."""
        first, last = self.local(self.start).date(), self.local(max(self.start, self.end - 1e-6)).date()
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    def hour(self, ts: float) -> str:
        """The local hour of `ts` in the report's zone, as 'YYYY-MM-DD HH:00'."""
        return self.local(ts).strftime("%Y-%m-%d %H:00")

    def hours(self) -> list[str]:
        """Every local hour the period touches, in order (an hour repeated when clocks go back is listed once)."""
        first = self.local(self.start).replace(minute=0, second=0, microsecond=0).timestamp()
        steps = int((self.end - first) // 3600) + 1
        return list(dict.fromkeys(self.hour(first + 3600 * i) for i in range(steps) if first + 3600 * i < self.end))

    @property
    def short(self) -> bool:
        """At most SHORT_DAYS calendar days: one bar per day says little, so the figures go per hour."""
        return len(self.days()) <= SHORT_DAYS

    def describe(self) -> str:
        fmt = "%Y-%m-%d %H:%M"
        return f"{self.local(self.start).strftime(fmt)} to {self.local(self.end).strftime(fmt)} ({self.zone.key})"


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a date (use YYYY-MM-DD)") from None


def _midnight(day: date, zone: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def resolve_period(zone: ZoneInfo, now: float, since: str | None = None,
                   from_date: str | None = None, to_date: str | None = None) -> Period:
    """The period from the command line: `--since 7d` (also h, w) ends now;
    `--from DATE [--to DATE]` covers whole local days, `--to` included (default today)."""
    if since and (from_date or to_date):
        raise ConfigError("use either --since or --from/--to, not both")
    if to_date and not from_date:
        raise ConfigError("--to needs --from")
    if from_date:
        first = _parse_date(from_date, "--from")
        last = _parse_date(to_date, "--to") if to_date else datetime.fromtimestamp(now, zone).date()
        if last < first:
            raise ConfigError(f"--to {last} is before --from {first}")
        return Period(_midnight(first, zone), _midnight(last + timedelta(days=1), zone), zone)
    match = _SINCE.match(since or "7d")
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"--since {since!r} is not a duration (e.g. 7d, 24h, 2w)")
    return Period(now - int(match.group(1)) * _UNIT_S[match.group(2)], now, zone)


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")
