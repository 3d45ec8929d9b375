"""Retention: quiet conversations are purged, the report for their period shows the same figures, queues stay short."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.errors import ConfigError
from bot.messaging import store
from bot.messaging.store import open_database
from bot.ops import main
from bot.privacy import Lease, PrivacyConfig, RetentionWorker, purge
from bot.report.agents import agent_activity
from bot.report.archive import merge_agents
from bot.report.config import resolve_period
from bot.report.metrics import compute
from bot.report.records import RecordReader
from tests.bot.privacy.world import scan
from tests.bot.report.conftest import add_handoff, utc
from tests.bot.report.scenario import write_week

LONDON = ZoneInfo("Europe/London")
NOW = utc("2027-07-01 12:00:00")  # more than a year after the week of June 2026
DAY = 86400.0


def figures(url: str, first: str = "2026-06-01", last: str = "2026-06-07") -> dict:
    """What `frontdesk report --from first --to last` computes (bot/report/build.py), without content gaps."""
    period = resolve_period(LONDON, NOW, from_date=first, to_date=last)
    reader = RecordReader(url)
    archived = reader.archived(period.start, period.end)
    convs = list(reader.conversations(period.start, period.end)) + archived.conversations
    surveys = sorted(reader.surveys(period.start, period.end) + archived.surveys, key=lambda s: s.created_at)
    metrics = compute(convs, surveys, period, NOW, {"parking": "Parking"})
    metrics["agents"] = merge_agents(agent_activity(reader, period.start, period.end), archived.agents)
    reader.engine.dispose()
    return metrics


@pytest.fixture
def week(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'frontdesk.db'}"
    write_week(url)
    engine = open_database(url)
    with engine.begin() as db:  # bob's handoff had an agent message: the per-agent figures count it
        db.execute(store.handoff_messages.insert().values(handoff_id="h-bob", author="agent", agent="Priya",
                                                          text="Hi, we have a 25 m pool.", created_at=utc("2026-06-01 12:02:40")))
    engine.dispose()
    return url


def test_purge_keeps_last_years_report_figures(week: str) -> None:
    before, may_31 = figures(week), figures(week, "2026-05-31", "2026-05-31")
    assert before["overall"]["conversations"] == 5 and before["agents"] == {"Priya": {"claimed": 1, "first_replies": 1}}
    engine = open_database(week)
    receipt = purge(engine, PrivacyConfig(), NOW)
    assert receipt["conversations"] == 7 and receipt["report_figures_kept"] == 7  # erin never wrote; frank, gina did
    assert scan(engine, "swimming pool") == [] and scan(engine, "charged twice") == []
    with engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(sa.table("events"))).scalar() == 0
        assert db.execute(sa.select(sa.func.count()).select_from(store.surveys)).scalar() == 0
    assert figures(week) == before
    assert figures(week, "2026-05-31", "2026-05-31") == may_31 and may_31["overall"]["conversations"] == 1


def test_the_summary_holds_no_words_names_or_ids(week: str) -> None:
    engine = open_database(week)
    purge(engine, PrivacyConfig(), NOW)
    with engine.connect() as db:
        rows = db.execute(sa.select(store.daily_summary)).mappings().all()
    text = str([dict(r) for r in rows])
    assert rows and all(word not in text for word in ("alice", "bob", "carol", "dan", "Sam", "swimming", "charged", "4111"))
    assert "parking" in text  # knowledge-base entry ids are kept (top answered entries)
    assert sum(r["conversations"] for r in rows) == 7


def test_only_conversations_quiet_for_longer_than_the_retention_go(week: str) -> None:
    engine = open_database(week)
    store.record_visit(engine, "alice", "rest", None, utc("2027-06-20 09:00:00"))  # alice came back last month
    add_handoff(engine, "carol", "whatsapp", "request", "waiting", NOW - 2 * DAY)  # carol's newer handoff
    receipt = purge(engine, PrivacyConfig(retention_days=30), NOW)
    with engine.connect() as db:
        left = set(db.execute(sa.select(sa.column("sender_id")).select_from(sa.table("events")).distinct()).scalars())
    assert left == {"alice", "carol"} and receipt["conversations"] == 5


def test_a_dry_run_counts_and_changes_nothing(week: str) -> None:
    engine = open_database(week)
    before = scan(engine, "swimming pool")
    receipt = purge(engine, PrivacyConfig(), NOW, dry_run=True)
    assert receipt["dry_run"] and receipt["conversations"] == 7 and receipt["rows_deleted"] > 0
    assert scan(engine, "swimming pool") == before
    with engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(store.erasures)).scalar() == 0
        assert db.execute(sa.select(sa.func.count()).select_from(store.daily_summary)).scalar() == 0


def test_done_queue_rows_go_after_the_queue_retention(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    now = utc("2026-06-20 12:00:00")
    with engine.begin() as db:
        for n, (status, age) in enumerate([("done", 8), ("done", 1), ("failed", 30), ("pending", 9)]):
            db.execute(store.inbox.insert().values(channel="sms", external_id=f"SM{n}", sender="+447700900123",
                                                   payload={}, status=status, attempts=1, next_attempt_at=now,
                                                   received_at=now - age * DAY, finished_at=now - age * DAY))
        for n, (status, age) in enumerate([("sent", 8), ("sent", 2), ("failed", 9)]):
            db.execute(store.outbox.insert().values(channel="sms", recipient="+447700900123", conversation_id="x",
                                                    payload={}, status=status, attempts=1, next_attempt_at=now,
                                                    provider_id=f"P{n}", created_at=now - age * DAY))
            db.execute(store.delivery.insert().values(provider_id=f"P{n}", status="delivered", updated_at=now))
        db.execute(store.customers.insert().values(conversation_id="x", channel="sms", first_seen_at=now,
                                                   last_seen_at=now, conversations=1))
    receipt = purge(engine, PrivacyConfig(), now)
    assert receipt["queue_rows_deleted"] == {"frontdesk_inbox": 1, "frontdesk_delivery": 1, "frontdesk_outbox": 1}
    with engine.connect() as db:
        assert sorted(db.execute(sa.select(store.inbox.c.external_id)).scalars()) == ["SM1", "SM2", "SM3"]
        assert sorted(db.execute(sa.select(store.outbox.c.provider_id)).scalars()) == ["P1", "P2"]


def test_one_instance_holds_the_lease_until_it_expires_or_is_released(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'l.db'}")
    first, second = Lease(engine), Lease(engine)
    assert first.acquire(60, now=1000.0) and not second.acquire(60, now=1030.0)
    assert second.acquire(60, now=1061.0)  # the first holder died: its lease ran out
    first.release()  # not the holder any more: leaves the second's lease alone
    assert not first.acquire(60, now=1062.0)
    second.release()
    assert first.acquire(60, now=1063.0)


def test_the_daily_purge_runs_once_a_day_across_instances(week: str) -> None:
    engine = open_database(week)
    one, two = RetentionWorker(engine, PrivacyConfig()), RetentionWorker(engine, PrivacyConfig())
    assert one.run_if_due(NOW)["conversations"] == 7
    assert two.run_if_due(NOW + 60) is None and one.run_if_due(NOW + 3600) is None
    assert two.run_if_due(NOW + DAY + 1)["conversations"] == 0
    two.lease.acquire(3600, now=NOW + 2 * DAY)
    assert one.run_if_due(NOW + 2 * DAY + 5) is None  # another instance is purging right now


def test_privacy_settings_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "assistant.yml"
    path.write_text("privacy:\n  retention_days: 30\n")
    assert PrivacyConfig.from_file(path) == PrivacyConfig(retention_days=30)
    path.write_text("privacy:\n  retention_dayz: 30\n")
    with pytest.raises(ConfigError, match="unknown privacy settings: retention_dayz"):
        PrivacyConfig.from_file(path)
    path.write_text("privacy:\n  queue_retention_days: -1\n")
    with pytest.raises(ConfigError, match="queue_retention_days must be more than 0"):
        PrivacyConfig.from_file(path)


def test_frontdesk_report_for_a_purged_period_shows_its_figures(week: str, tmp_path: Path) -> None:
    before = figures(week)
    purge(open_database(week), PrivacyConfig(), NOW)
    code = main(["report", "--from", "2026-06-01", "--to", "2026-06-07", "--out", str(tmp_path / "r"),
                 "--database-url", week])
    assert code == 0
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["overall"] == json.loads(json.dumps(before["overall"]))
    assert metrics["days"] == before["days"] and metrics["agents"] == before["agents"]
    assert metrics["gaps"]["messages"] == 0  # the customers' own words are gone with the records
