"""Charts over time: per day for a week, per hour for a short period (one bar per day would say nothing)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.report.charts import all_charts
from bot.report.config import resolve_period
from bot.report.metrics import compute
from bot.report.records import RecordReader
from bot.report.render import render_html
from tests.bot.report.conftest import utc
from tests.bot.report.scenario import write_week

LONDON = ZoneInfo("Europe/London")
NOW = utc("2026-06-10 12:00:00")
NO_GAPS = {"messages": 0, "clusters": []}


@pytest.fixture(scope="module")
def week_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('charts') / 'frontdesk.db'}"
    write_week(url)
    return url


def report(url: str, **when):
    period = resolve_period(LONDON, NOW, **when)
    reader = RecordReader(url)
    convs = list(reader.conversations(period.start, period.end))
    metrics = compute(convs, reader.surveys(period.start, period.end), period, NOW)
    charts = all_charts(convs, metrics)
    return metrics, charts, render_html(metrics, NO_GAPS, charts, period.describe(), "S-Club")


def test_one_day_is_charted_per_hour_with_its_feedback_as_a_table(week_url: str) -> None:
    metrics, charts, html = report(week_url, from_date="2026-06-01", to_date="2026-06-01")
    rows = metrics.get("hours") or []
    assert len(rows) == 24 and rows[0]["hour"] == "2026-06-01 00:00"
    # London hours: carol 00:30, alice 11:00, bob 13:00
    assert {r["hour"][11:]: r["conversations"] for r in rows if r["conversations"]} == {"00:00": 1, "11:00": 1, "13:00": 1}
    assert list(charts) == ["volume", "times", "outcomes"]
    assert "Volume per hour and channel" in html and "Containment vs handoff per hour" in html
    assert "<h3>CSAT and NPS per hour</h3>" in html and "CSAT and NPS over time" not in html
    assert "<td>2026-06-01 11:00</td><td>5.00 (1)</td><td>100.0 (1)</td>" in html  # alice: CSAT 5, NPS 9
    assert "<td>2026-06-01 13:00</td><td>2.00 (1)</td><td>-100.0 (1)</td>" in html  # bob: CSAT 2, NPS 6


def test_the_last_24_hours_are_charted_per_hour(week_url: str) -> None:
    metrics, _, _ = report(week_url, since="24h")
    rows = metrics.get("hours") or []
    assert len(rows) == 24  # 13:00 on 9 June to 13:00 on 10 June (London)
    assert (rows[0]["hour"], rows[-1]["hour"]) == ("2026-06-09 13:00", "2026-06-10 12:00")


def test_a_week_is_charted_per_day_as_before(week_url: str) -> None:
    metrics, charts, html = report(week_url, from_date="2026-06-01", to_date="2026-06-07")
    assert "hours" not in metrics and len(metrics["days"]) == 7
    assert list(charts) == ["volume", "times", "feedback", "outcomes"]
    assert "Volume per day and channel" in html and "CSAT and NPS over time" in html and "per hour" not in html
