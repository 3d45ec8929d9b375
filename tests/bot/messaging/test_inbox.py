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
