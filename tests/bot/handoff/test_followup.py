"""Follow-ups after a resolve, on a real database, outbox and schedule: when they are due (quiet hours), that each
is sent once across instances and restarts, what makes one moot, and how answers are read."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.config import section
from bot.config.settings import HandoffSettings
from bot.handoff.followup import KIND, FollowUps, FollowUpWorker, answer_kind, topic_of
from bot.handoff.hours import TeamHours
from bot.handoff.service import HandoffDesk
from bot.messaging.schedule import Schedule
from bot.messaging.channel_values import ChannelState
from bot.messaging.store import open_database, outbox, scheduled
from tests.conftest import project_responses

LONDON = ZoneInfo("Europe/London")
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=LONDON).timestamp()
MONDAY_LATE = dt.datetime(2026, 11, 23, 22, 30, tzinfo=LONDON).timestamp()
TUESDAY_NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=LONDON).timestamp()
ALWAYS = TeamHours.from_config(section("team", {"hours": {d: "00:00-24:00" for d in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}}))
AFTER_S = 3600.0


@pytest.fixture
def engine(tmp_path):
    return open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")


def follow_ups(engine, send_between: str = "09:00-20:00") -> FollowUps:
    return FollowUps(engine, section("follow_up", {"send_between": send_between}), "Europe/London", project_responses(),
                     after_s=AFTER_S)


def desk(engine) -> HandoffDesk:
    return HandoffDesk(engine, HandoffSettings(), ALWAYS, project_responses(), follow_ups=follow_ups(engine))


def resolved(engine, channel: str = "telegram", recipient: str | None = "4242", name: str | None = "Ana",
             conversation_id: str | None = None, at: float = MONDAY_NOON, **summary) -> str:
    """A handoff opened and resolved through the desk (the follow-up is scheduled by the resolve)."""
    the_desk = desk(engine)
    summary = {"reason": "frustration", "key_messages": ["my locker code doesn't work"], "trigger_messages": []} | summary
    handoff = the_desk.open(conversation_id or recipient or "webchat:abc", channel, recipient, name, "frustration",
                            summary, now=at - 60)
    handoff = the_desk.store.close(handoff.id, "resolved", now=at)
    the_desk.follow_ups.after_resolved(handoff, now=at)
    return handoff.id


def rows(engine, table=scheduled) -> list[dict]:
    with engine.connect() as db:
        return [dict(r) for r in db.execute(sa.select(table).order_by(table.c.id)).mappings()]


def test_a_follow_up_is_due_after_the_delay_and_waits_for_the_morning() -> None:
    ups = follow_ups(None)
    assert ups.send_time(MONDAY_NOON) == MONDAY_NOON
    assert ups.send_time(MONDAY_LATE) == TUESDAY_NINE
    assert ups.send_time(dt.datetime(2026, 11, 24, 6, 15, tzinfo=LONDON).timestamp()) == TUESDAY_NINE
    summer = dt.datetime(2026, 7, 1, 21, 0, tzinfo=LONDON).timestamp()  # the team's zone, in British Summer Time
    assert dt.datetime.fromtimestamp(ups.send_time(summer), LONDON).hour == 9


def test_resolving_schedules_one_follow_up_with_its_topic(engine) -> None:
    handoff_id = resolved(engine)
    [row] = rows(engine)
    assert (row["kind"], row["handoff_id"], row["status"], row["due_at"]) == (KIND, handoff_id, "pending", MONDAY_NOON + AFTER_S)
    assert row["detail"] == {"name": "Ana", "topic": '"my locker code doesn\'t work"'}
    handoff = desk(engine).store.get(handoff_id)
    assert follow_ups(engine).after_resolved(handoff) is None  # once per handoff


def test_a_test_conversation_gets_no_follow_up(engine) -> None:
    resolved(engine, test=True)
    assert rows(engine) == []


def test_the_topic_is_the_customers_words_not_their_request_for_a_person() -> None:
    assert topic_of({"reason": "request", "trigger_messages": ["I want a person"], "key_messages": ["I want a person"]}) is None
    long = topic_of({"reason": "failures", "key_messages": ["why " * 40]})
    assert long.startswith('"why why') and long.endswith('..."') and len(long) <= 62


def test_each_due_follow_up_is_claimed_by_one_instance_and_a_dead_claim_is_taken_again(engine) -> None:
    for n in range(6):
        resolved(engine, recipient=f"10{n}")
    due = MONDAY_NOON + AFTER_S + 1
    taken: list[list[int]] = []
    threads = [threading.Thread(target=lambda: taken.append([s.id for s in Schedule(engine).claim_due(due)]))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [i for batch in taken for i in batch]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 6
    assert Schedule(engine).claim_due(due + 10) == []  # leased
    assert len(Schedule(engine).claim_due(due + 61)) == 6  # the leases ran out: the process died


def run(worker: FollowUpWorker, now: float) -> int:
    return asyncio.run(worker.run_once(now))


def outbox_payloads(engine, channel: str) -> list[dict]:
    return [r["payload"] for r in rows(engine, outbox) if r["channel"] == channel]


def test_the_worker_sends_on_each_channel_once(engine) -> None:
    resolved(engine, "telegram", "4242", "Ana")
    resolved(engine, "sms", "+447700900001", None)
    resolved(engine, "whatsapp", "whatsapp:+447700900002", "Bo")
    web = resolved(engine, "webchat", None, "Cy", conversation_id="webchat:xyz")
    worker = FollowUpWorker(follow_ups(engine))
    assert run(worker, MONDAY_NOON + AFTER_S) == 4
    assert run(worker, MONDAY_NOON + AFTER_S + 120) == 0  # sent once

    [telegram] = outbox_payloads(engine, "telegram")
    assert telegram["text"] == 'Hi Ana, following up on "my locker code doesn\'t work": is everything sorted now?'
    assert [b["callback_data"] for b in telegram["buttons"]] == ["/affirm", "/deny"]
    [sms] = outbox_payloads(engine, "sms")
    assert sms["text"].startswith("Hi, following up on") and "1. Yes\n2. No" in sms["text"]
    assert [o["payload"] for o in ChannelState(engine, "sms").get("+447700900001", "options")] == ["/affirm", "/deny"]
    [whatsapp] = outbox_payloads(engine, "whatsapp")
    assert whatsapp["purpose"] == "follow_up" and whatsapp["fields"]["name"] == "Bo"
    web_messages = desk(engine).store.messages(web)
    assert web_messages[-1].author == "system" and "is everything sorted now?" in web_messages[-1].text
    assert {r["status"] for r in rows(engine)} == {"sent"}


def test_two_workers_on_one_database_send_it_once(engine) -> None:
    resolved(engine)

    async def both() -> list[int]:
        return await asyncio.gather(*(FollowUpWorker(follow_ups(engine)).run_once(MONDAY_NOON + AFTER_S) for _ in range(2)))

    assert sorted(asyncio.run(both())) == [0, 1]
    assert len(outbox_payloads(engine, "telegram")) == 1


def test_a_follow_up_due_at_night_waits_for_the_morning(engine) -> None:
    resolved(engine, at=MONDAY_NOON)
    night = follow_ups(engine, send_between="09:00-12:30")
    worker = FollowUpWorker(night)
    assert run(worker, MONDAY_NOON + AFTER_S) == 0  # 13:00: outside 09:00-12:30
    assert rows(engine)[0]["status"] == "pending" and rows(engine)[0]["due_at"] == TUESDAY_NINE
    assert run(worker, TUESDAY_NINE) == 1


@pytest.mark.parametrize("what, reason", [("opted out", "opted_out"), ("new handoff", "handoff_reopened")])
def test_a_moot_follow_up_is_cancelled_with_the_reason(engine, what: str, reason: str) -> None:
    resolved(engine, "sms", "+447700900003")
    if what == "opted out":
        ChannelState(engine, "sms").put("+447700900003", "opted_out", True)
        assert run(FollowUpWorker(follow_ups(engine)), MONDAY_NOON + AFTER_S) == 0
    else:
        desk(engine).open("+447700900003", "sms", "+447700900003", None, "request", {}, now=MONDAY_NOON + 60)
    [row] = rows(engine)
    assert (row["status"], row["cancel_reason"]) == ("cancelled", reason)
    assert outbox_payloads(engine, "sms") == []


def test_the_customer_writing_again_after_the_survey_cancels_it(engine) -> None:
    resolved(engine)
    ups = follow_ups(engine)
    assert ups.customer_wrote("4242", MONDAY_NOON + 30) == 0  # answering the survey
    assert ups.customer_wrote("4242", MONDAY_NOON + 1200) == 1
    assert rows(engine)[0]["cancel_reason"] == "customer_wrote"


@pytest.mark.parametrize("text, kind", [("/affirm", "yes"), ("Yes!", "yes"), ("yep", "yes"), ("/deny", "no"),
                                        ("not yet", "no"), ("the code still fails", "problem")])
def test_answers_are_read_as_yes_no_or_a_problem(text: str, kind: str) -> None:
    assert answer_kind(text) == kind


def test_no_links_the_earlier_handoff_to_the_next(engine) -> None:
    first = resolved(engine)
    run(FollowUpWorker(follow_ups(engine)), MONDAY_NOON + AFTER_S)
    ups = follow_ups(engine)
    kind, item = ups.read_answer("4242", "No", MONDAY_NOON + AFTER_S + 60)
    assert (kind, item.handoff_id) == ("no", first)
    assert ups.read_answer("4242", "No", MONDAY_NOON + AFTER_S + 70) is None  # answered once
    again = desk(engine).open("4242", "telegram", "4242", "Ana", "request", {"reason": "request"},
                              now=MONDAY_NOON + AFTER_S + 90)
    assert again.summary["follow_up_of"] == first
