"""The report's per-agent figures (handoffs claimed, first replies) and that report.html shows stored text as text."""

from __future__ import annotations

import pytest

from bot.messaging import store
from bot.report.agents import agent_activity
from bot.report.config import resolve_period
from bot.report.metrics import compute
from bot.report.records import RecordReader
from bot.report.render import render_html
from tests.bot.report.conftest import add_handoff, utc
from tests.bot.report.scenario import write_week
from tests.bot.report.test_metrics import LONDON, NOW

HOSTILE = "<script>window.__x=1</script><b>bold</b>"


def add_message(engine, handoff_id: str, author: str, text: str, at: float, agent: str | None = None) -> None:
    with engine.begin() as db:
        db.execute(store.handoff_messages.insert().values(handoff_id=handoff_id, author=author, agent=agent, text=text,
                                                          created_at=at))


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('agents-week') / 'frontdesk.db'}"
    write_week(url)  # h-bob: claimed by Priya; h-carol: waiting
    engine = store.open_database(url)
    t = utc("2026-06-02 10:00:00")
    add_message(engine, "h-bob", "customer", HOSTILE, utc("2026-06-01 12:01:00"))
    add_message(engine, "h-bob", "agent", "Hi, Priya here.", utc("2026-06-01 12:02:40"), agent="Priya")
    reassigned = add_handoff(engine, "erin", "webchat", "request", "claimed", t, claimed_at=t + 10)
    with engine.begin() as db:  # Bob claimed and answered first; a lead then gave it to Cleo
        db.execute(store.handoffs.update().where(store.handoffs.c.id == reassigned).values(agent="Cleo"))
    add_message(engine, reassigned, "agent", "Bob here.", t + 20, agent="Bob")
    add_message(engine, reassigned, "agent", "Cleo taking over.", t + 60, agent="Cleo")
    group = add_handoff(engine, "dan", "sms", "request", "resolved", t + 100, claimed_at=t + 110)  # held by Priya
    add_message(engine, group, "agent", "From the Telegram group.", t + 120, agent="<b>Dan</b>")
    earlier = add_handoff(engine, "frank", "rest", "request", "resolved", utc("2026-05-20 10:00:00"),
                          claimed_at=utc("2026-05-20 10:01:00"))  # before the week: not counted
    add_message(engine, earlier, "agent", "old", utc("2026-05-20 10:02:00"), agent="Priya")
    return url


def test_claims_and_first_replies_are_counted_per_agent(week: str) -> None:
    period = resolve_period(LONDON, NOW, from_date="2026-06-01", to_date="2026-06-07")
    found = agent_activity(RecordReader(week), period.start, period.end)
    assert found == {"<b>Dan</b>": {"claimed": 0, "first_replies": 1}, "Bob": {"claimed": 0, "first_replies": 1},
                     "Cleo": {"claimed": 1, "first_replies": 0}, "Priya": {"claimed": 2, "first_replies": 1}}


def test_report_html_shows_customer_text_and_agent_names_as_text(week: str) -> None:
    period = resolve_period(LONDON, NOW, from_date="2026-06-01", to_date="2026-06-07")
    reader = RecordReader(week)
    metrics = compute(list(reader.conversations(period.start, period.end)), reader.surveys(period.start, period.end),
                      period, NOW)
    metrics["agents"] = agent_activity(reader, period.start, period.end)
    gaps = {"messages": 1, "distinct": 1, "left_out_messages": 0, "clusters": [
        {"size": 1, "fallback": 1, "clarify": 0, "samples": [HOSTILE], "suggestion": f"no entry covers {HOSTILE}",
         "similarity": 0.1}]}
    html = render_html(metrics, gaps, {}, period.describe(), "S-Club")
    assert "<script>" not in html and HOSTILE not in html and "<b>bold" not in html and "<b>Dan" not in html
    assert "&lt;script&gt;window.__x=1&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<td>&lt;b&gt;Dan&lt;/b&gt;</td><td>0</td><td>1</td>" in html
    assert "<td>Cleo</td><td>1</td><td>0</td>" in html
