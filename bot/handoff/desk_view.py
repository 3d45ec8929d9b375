"""How a handoff reads on the agent desk: times in the team's zone, and a one-line preview for the queue.

Times are written as a UK reader expects them, 24-hour with the weekday and the day before the month
("Sun 6 Dec, 17:20"), in `report.time_zone` from assistant.yml, so every agent sees the same times
whatever their browser's zone or locale; the year is added when it is not the current one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
PREVIEW_CHARS = 90


def local_time(ts: Any, zone: ZoneInfo, now: float | None = None) -> str | None:
    """Epoch seconds as "Sun 6 Dec, 17:20" in `zone` ("Sun 6 Dec 2025, 17:20" in another year than `now`'s);
    None when `ts` is not a number."""
    if not isinstance(ts, (int, float)) or isinstance(ts, bool):
        return None
    moment = datetime.fromtimestamp(ts, zone)
    year = "" if now is None or datetime.fromtimestamp(now, zone).year == moment.year else f" {moment.year}"
    return f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]}{year}, {moment:%H:%M}"


def preview(summary: dict[str, Any]) -> str:
    """What the customer wants, on one line: their first own question (not small talk or a button), else what
    triggered the handoff, else why it was handed over; at most PREVIEW_CHARS characters."""
    found = [*(summary.get("key_messages") or []), *(summary.get("trigger_messages") or []),
             summary.get("reason_text") or ""]
    text = re.sub(r"\s+", " ", next((t for t in found if isinstance(t, str) and t.strip()), "")).strip()
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"
