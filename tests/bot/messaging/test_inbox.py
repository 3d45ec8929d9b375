"""The persistent inbox on real SQLite and PostgreSQL databases: de-duplication, order per sender, retries, give-up, resuming."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.messaging import inbox as inbox_module
from bot.messaging.inbox import MAX_TURN_ATTEMPTS, Inbox, InboxMessage, InboxWorker
from bot.messaging.store import inbox, open_database
from tests.servers import at_once, database_url, postgres  # noqa: F401 - fixtures


@pytest.fixture
def box(database_url: str) -> Inbox:  # noqa: F811
    return Inbox(open_database(database_url))


class Recorder:
    """Stands in for the assistant: records each turn, can raise a number of times first, and notes overlap per sender."""

    def __init__(self, failures: int = 0, delay: float = 0.0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or RuntimeError("the tracker store is down")
        self.delay = delay
        self.answered: list[tuple[str, str]] = []
        self.apologised: list[str] = []
        self.busy: set[str] = set()
        self.overlapped = False
        self.most_at_once = 0

    async def run_turn(self, message: InboxMessage) -> None:
        if message.sender in self.busy:
            self.overlapped = True
        self.busy.add(message.sender)
        self.most_at_once = max(self.most_at_once, len(self.busy))
        try:
            await asyncio.sleep(self.delay)
            if self.failures:
                self.failures -= 1
                raise self.error
            self.answered.append((message.sender, message.payload["text"]))
        finally:
            self.busy.discard(message.sender)

    async def give_up(self, message: InboxMessage) -> None:
        self.apologised.append(message.sender)


def run_until_idle(worker: InboxWorker, seconds: float = 10) -> None:
    async def go() -> None:
        worker.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            counts = worker.box.counts()
            if not counts.get("pending") and not counts.get("working"):
                break
        await worker.stop()

    asyncio.run(go())


def test_a_retried_webhook_is_accepted_once(box: Inbox) -> None:
    assert box.accept("sms", "SM1", "+1555", {"text": "hi"}) is True
    assert box.accept("sms", "SM1", "+1555", {"text": "hi"}) is False
    assert box.accept("whatsapp", "SM1", "whatsapp:+1555", {"text": "hi"}) is True
    assert box.counts() == {"pending": 2}


def test_each_sender_is_answered_in_order_one_turn_at_a_time(box: Inbox) -> None:
    for i in range(4):
        box.accept("sms", f"A{i}", "alice", {"text": f"a{i}"})
        box.accept("sms", f"B{i}", "bob", {"text": f"b{i}"})
    recorder = Recorder(delay=0.01)
    run_until_idle(InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, concurrency=4, poll_s=0.05))
    assert [t for s, t in recorder.answered if s == "alice"] == ["a0", "a1", "a2", "a3"]
    assert [t for s, t in recorder.answered if s == "bob"] == ["b0", "b1", "b2", "b3"]
    assert not recorder.overlapped and recorder.most_at_once == 2
    assert box.counts() == {"done": 8}


def test_no_more_turns_than_the_concurrency_run_at_once(box: Inbox) -> None:
    for i in range(6):
        box.accept("sms", f"S{i}", f"customer-{i}", {"text": "hi"})
    recorder = Recorder(delay=0.05)
    run_until_idle(InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, concurrency=2, poll_s=0.05))
    assert len(recorder.answered) == 6 and recorder.most_at_once == 2


def test_a_turn_that_raises_is_retried_and_then_answered(box: Inbox, monkeypatch) -> None:
    monkeypatch.setattr(inbox_module, "RETRY_DELAY_S", 0.01)
    box.accept("sms", "SM1", "+1555", {"text": "hello"})
    recorder = Recorder(failures=MAX_TURN_ATTEMPTS - 1)
    run_until_idle(InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, poll_s=0.05))
    assert recorder.answered == [("+1555", "hello")] and recorder.apologised == []
    assert box.status("sms", "SM1") == "done"


def test_a_turn_that_keeps_raising_is_failed_visibly_and_the_customer_told(box: Inbox, monkeypatch, caplog) -> None:
    monkeypatch.setattr(inbox_module, "RETRY_DELAY_S", 0.01)
    box.accept("sms", "SM1", "conversation-7", {"text": "hello"})
    box.accept("sms", "SM2", "conversation-7", {"text": "still there?"})
    recorder = Recorder(failures=MAX_TURN_ATTEMPTS)
    run_until_idle(InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, poll_s=0.05))
    assert box.status("sms", "SM1") == "failed" and recorder.apologised == ["conversation-7"]
    assert "conversation-7" in caplog.text and "failed after 3 attempts" in caplog.text
    assert recorder.answered == [("conversation-7", "still there?")]  # the next message is not held up


def test_a_turn_that_meets_an_unreachable_redis_waits_for_it_without_using_up_its_attempts(box: Inbox, monkeypatch) -> None:
    import redis

    monkeypatch.setattr(inbox_module, "OUTAGE_RETRY_S", 0.01)
    box.accept("sms", "SM1", "conversation-8", {"text": "hello"})
    outage = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
    recorder = Recorder(failures=MAX_TURN_ATTEMPTS * 3, error=outage)
    run_until_idle(InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, poll_s=0.02))
    assert recorder.answered == [("conversation-8", "hello")] and recorder.apologised == []
    assert box.status("sms", "SM1") == "done"


def test_accepting_while_the_database_is_away_is_an_unavailable_error() -> None:
    from bot.errors import UnavailableError
    from bot.messaging.store import pooled_engine
    from tests.servers import free_port

    box = Inbox(pooled_engine(f"postgresql://frontdesk@127.0.0.1:{free_port()}/frontdesk", future=True))
    with pytest.raises(UnavailableError, match="the database is unreachable"):
        box.accept("sms", "SM1", "+1555", {"text": "hello"})


def test_a_claim_left_by_a_crashed_process_is_resumed_after_its_lease(box: Inbox) -> None:
    box.accept("sms", "SM1", "+1555", {"text": "survives"})
    [message] = box.claim_due(["sms"], limit=5)  # claimed, then the process "dies" mid-turn
    assert not message.resumed
    assert box.claim_due(["sms"], limit=5) == []  # still leased
    with box.engine.begin() as db:  # the lease runs out
        db.execute(inbox.update().values(next_attempt_at=time.time() - 1))
    [again] = Inbox(box.engine).claim_due(["sms"], limit=5)
    assert again.resumed  # the connector checks the tracker before running it again
    with box.engine.begin() as db:
        db.execute(inbox.update().values(next_attempt_at=time.time() - 1))
    recorder = Recorder()
    run_until_idle(InboxWorker(Inbox(box.engine), ["sms"], recorder.run_turn, recorder.give_up, poll_s=0.05))
    assert recorder.answered == [("+1555", "survives")]


def test_stopping_gives_running_turns_back_for_the_next_start(box: Inbox) -> None:
    box.accept("sms", "SM1", "+1555", {"text": "slow"})
    recorder = Recorder(delay=30)

    async def start_then_stop() -> None:
        worker = InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, poll_s=0.05, drain_s=0.2)
        worker.start()
        while box.status("sms", "SM1") != "working":
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(start_then_stop())
    assert box.status("sms", "SM1") == "pending"
    assert [m.external_id for m in box.claim_due(["sms"], limit=5)] == ["SM1"]


def test_stopping_lets_a_running_turn_finish_rather_than_run_it_twice(box: Inbox) -> None:
    box.accept("sms", "SM1", "+1555", {"text": "almost done"})
    recorder = Recorder(delay=0.3)

    async def start_then_stop() -> None:
        worker = InboxWorker(box, ["sms"], recorder.run_turn, recorder.give_up, poll_s=0.05, drain_s=5)
        worker.start()
        while not recorder.busy:  # the turn has started
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(start_then_stop())
    assert recorder.answered == [("+1555", "almost done")] and box.status("sms", "SM1") == "done"


def test_workers_of_several_instances_claim_each_message_once_and_in_order(database_url: str) -> None:  # noqa: F811
    Inbox(open_database(database_url))
    accepted = {f"sms:+1555{n}": [f"SM{n}-{k}" for k in range(4)] for n in range(10)}
    first = Inbox(open_database(database_url))
    for k in range(4):
        for sender, ids in accepted.items():
            first.accept("sms", ids[k], sender, {"text": ids[k]})
    claims: list[tuple[str, str]] = []

    def instance() -> None:
        box = Inbox(open_database(database_url))  # an engine of its own, as another instance has
        while box.counts().get("pending"):
            for message in box.claim_due(["sms"], 3):
                claims.append((message.sender, message.external_id))
                box.mark_done(message)

    results, errors = at_once(4, instance)
    assert errors == []
    assert sorted(external_id for _, external_id in claims) == sorted(i for ids in accepted.values() for i in ids)
    for sender, ids in accepted.items():
        assert [external_id for who, external_id in claims if who == sender] == ids


def test_two_workers_at_eight_turns_each_answer_every_sender_in_order_one_turn_at_a_time(database_url: str) -> None:  # noqa: F811
    """Two instances' workers on one database, 8 turns at once each, turns of uneven length: no sender ever has
    two turns running, each sender's messages are answered in arrival order, and both workers take turns."""
    import random

    first = Inbox(open_database(database_url))
    expected: dict[str, list[str]] = {}
    for k in range(5):
        for n in range(12):
            sender = f"sms:+1555{n:03d}"
            first.accept("sms", f"SM{n}-{k}", sender, {"text": f"{sender} #{k}"})
            expected.setdefault(sender, []).append(f"{sender} #{k}")
    recorder = Recorder()
    ran_on: dict[int, int] = {0: 0, 1: 0}

    def turn_on(worker: int):
        async def run_turn(message: InboxMessage) -> None:
            ran_on[worker] += 1
            recorder.delay = random.uniform(0.0, 0.03)
            await recorder.run_turn(message)
        return run_turn

    async def both() -> None:
        workers = [InboxWorker(Inbox(open_database(database_url)), ["sms"], turn_on(i), recorder.give_up,
                               concurrency=8, poll_s=0.02, settle_s=0) for i in range(2)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and first.counts().get("done", 0) < 60:
            await asyncio.sleep(0.02)
        for worker in workers:
            await worker.stop()

    asyncio.run(both())
    assert first.counts() == {"done": 60}
    assert not recorder.overlapped
    assert recorder.most_at_once > 2  # more than the old 2 at once: the concurrency is used
    for sender, texts in expected.items():
        assert [text for who, text in recorder.answered if who == sender] == texts
    assert ran_on[0] > 0 and ran_on[1] > 0


def test_a_sender_behind_a_long_backlog_of_busy_senders_is_still_claimed(box: Inbox) -> None:
    """Thousands of queued messages from two senders whose turns are running must not hide a third sender's
    message (the claim once read the oldest 1,000 unfinished rows and looked no further)."""
    with box.engine.begin() as db:
        db.execute(inbox.insert(), [{"channel": "sms", "external_id": f"B{i:05d}", "sender": f"busy-{i % 2}",
                                     "payload": {"text": "again"}, "status": "pending", "attempts": 0,
                                     "next_attempt_at": 0.0, "received_at": 1000.0 + i} for i in range(1500)])
    assert {m.sender for m in box.claim_due(["sms"], limit=8)} == {"busy-0", "busy-1"}  # their turns run now
    box.accept("sms", "SM-late", "patient", {"text": "hello?"})
    assert [(m.sender, m.external_id) for m in box.claim_due(["sms"], limit=8)] == [("patient", "SM-late")]


def test_a_claim_reads_the_head_of_the_queue_through_its_indexes(tmp_path: Path) -> None:
    """SQLite plans the claim on the partial queue indexes, in order, with no sort of the unfinished rows: its
    cost follows the rows claimed, not the done rows kept for days or the length of the backlog."""
    import sqlalchemy as sa

    from bot.messaging.inbox import _older_unfinished, _unfinished

    engine = open_database(f"sqlite:///{tmp_path / 'plan.db'}")
    c = inbox.c
    heads = sa.select(inbox).where(c.channel.in_(["sms"]), _unfinished(inbox), c.next_attempt_at <= 1.0,
                                   ~_older_unfinished(["sms"])).order_by(c.received_at, c.external_id).limit(8)
    sql = str(heads.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as db:
        plan = " | ".join(row[-1] for row in db.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "USING INDEX ix_frontdesk_inbox_queue" in plan and "USING INDEX ix_frontdesk_inbox_sender_queue" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_busy_worker_fills_a_freed_slot_without_waiting_for_webhooks_to_settle(box: Inbox) -> None:
    """The settle delay (acknowledge a burst before turns take the loop) is for an idle worker: while webhooks
    keep arriving and turns run, a finished turn's slot is filled at once."""
    box.accept("sms", "L1", "long", {"text": "slow question"})
    box.accept("sms", "Q1", "quick", {"text": "first"})
    box.accept("sms", "Q2", "quick", {"text": "second"})
    started: dict[str, float] = {}
    ended: dict[str, float] = {}

    async def run_turn(message: InboxMessage) -> None:
        started[message.external_id] = time.monotonic()
        await asyncio.sleep(1.5 if message.sender == "long" else 0.05)
        ended[message.external_id] = time.monotonic()

    async def go() -> None:
        worker = InboxWorker(box, ["sms"], run_turn, run_turn, concurrency=2, poll_s=5, settle_s=1.0)
        worker.start()
        deadline = time.monotonic() + 20
        while "Q2" not in ended and time.monotonic() < deadline:
            worker.last_accept = time.monotonic()  # webhooks keep arriving
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(go())
    assert started["Q2"] - ended["Q1"] < 0.5  # not the settle delay (1 s) after every turn
    assert started["Q2"] < ended["L1"]  # while the long turn still ran


def test_an_accepted_message_wakes_the_worker_instead_of_waiting_for_its_poll(box: Inbox) -> None:
    started: list[float] = []

    async def run_turn(message: InboxMessage) -> None:
        started.append(time.monotonic())

    async def go() -> float:
        worker = InboxWorker(box, ["sms"], run_turn, run_turn, poll_s=30, settle_s=0)
        worker.start()
        await asyncio.sleep(0.3)  # the first pass found nothing; the next poll is 30 s away
        box.accept("sms", "SM1", "+1555", {"text": "hi"})
        accepted = time.monotonic()
        worker.wake()  # what the webhook does after storing the message
        while not started and time.monotonic() - accepted < 10:
            await asyncio.sleep(0.01)
        await worker.stop()
        return accepted

    accepted = asyncio.run(go())
    assert started and started[0] - accepted < 2.0
