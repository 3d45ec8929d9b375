"""The report's follow-up and WhatsApp-window figures, from the rows the assistant writes, through build_report."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import AssistantConfig, Settings
from bot.messaging.outbox import Outbox
from bot.messaging.schedule import Schedule
from bot.messaging.store import open_database, outbox
from bot.report import build_report, resolve_period
from tests.bot.report.conftest import Script, save_trackers, utc
from tests.conftest import PROJECT_DIR

DAY = utc("2026-06-03T10:00:00")


def test_follow_ups_and_window_holds_are_counted_with_their_shares(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_trackers(url, [Script("whatsapp:+447700900001", "whatsapp").session(DAY).user(DAY + 1, "hi").bot(DAY + 2)])
    engine = open_database(url)
    schedule = Schedule(engine)
    ids = [schedule.add("follow_up", f"c{n}", "sms", f"+4470000000{n}", DAY, {}, f"h{n}", now=DAY - 86400) for n in range(5)]
    assert sorted(i.id for i in schedule.claim_due(DAY)) == ids
    assert all(schedule.mark_sent(scheduled_id, DAY + 10) for scheduled_id in ids[:4])
    schedule.answer(ids[0], "yes", DAY + 20)
    schedule.answer(ids[1], "yes", DAY + 20)
    schedule.answer(ids[2], "no", DAY + 20)
    schedule.cancel(ids[4], "customer_wrote")

    box = Outbox(engine)
    written = box.enqueue("whatsapp", "whatsapp:+447700900001", "whatsapp:+447700900001",
                          [{"text": f"message {n}"} for n in range(4)])
    with engine.begin() as db:
        db.execute(outbox.update().where(outbox.c.id.in_(written)).values(created_at=DAY + 30))
        db.execute(outbox.update().where(outbox.c.id == written[0]).values(status="sent", held_reason="no_template"))
        db.execute(outbox.update().where(outbox.c.id == written[1]).values(status="held", held_reason="twilio_63016"))

    settings = Settings.from_env(env={"FRONTDESK_STATE_DIR": str(tmp_path), "EMBEDDING_MODEL": str(tmp_path / "no-model")},
                                 project_dir=PROJECT_DIR)
    period = resolve_period(ZoneInfo("Europe/London"), DAY + 86400 * 5, from_date="2026-06-01", to_date="2026-06-07")
    report = build_report(settings, AssistantConfig.load(settings.assistant_file), period, database_url=url,
                          out=tmp_path / "out")
    assert report.metrics["follow_ups"] == {"sent": 4, "answered": 3, "confirmed_resolved": 2, "not_sorted": 1,
                                            "cancelled": {"customer_wrote": 1}, "new_answers_sent": 0, "answered_share": 0.75,
                                            "confirmed_share": 0.5}
    window = report.metrics["whatsapp_window"]
    assert (window["messages"], window["held"], window["held_share"], window["delivered_later"], window["still_held"]) \
        == (4, 2, 0.5, 1, 1)
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<h2>Follow-ups</h2>" in page and "24-hour window</h3>" in page
    assert "Follow-ups: 4 sent, 3 answered, 2 confirmed resolved; WhatsApp window: 2 of 4 messages" in report.summary
