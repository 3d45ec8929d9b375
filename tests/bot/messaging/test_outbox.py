"""The outbox on real SQLite and PostgreSQL databases: order, retries, give-up, resuming after a crash, several workers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.messaging import outbox as outbox_module
from bot.messaging.outbox import MAX_ATTEMPTS, Outbox, OutboxWorker, PermanentSendError, RetryableSendError
from bot.messaging.store import open_database, outbox
from tests.servers import at_once, database_url, postgres  # noqa: F401 - fixtures
from bot.vendors.telegram_api import split_text


@pytest.fixture
def box(database_url: str) -> Outbox:  # noqa: F811
    return Outbox(open_database(database_url))


class ScriptedAPI:
    """Stands in for a provider: fails as scripted, records what it delivered."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.failures = list(failures or [])
        self.delivered: list[tuple[str, str]] = []

    async def send(self, recipient: str, payload: dict) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((recipient, payload["text"]))
        return f"id-{len(self.delivered)}"


def run_until_idle(worker: OutboxWorker, passes: int = 50) -> None:
    async def go() -> None:
        for _ in range(passes):
            await worker.drain_once()
            await asyncio.sleep(0.01)

    asyncio.run(go())


def test_one_message_per_recipient_is_claimed_at_a_time(box: Outbox) -> None:
    box.enqueue("chat", "r1", "c1", [{"text": "one"}, {"text": "two"}, {"text": "three"}])
    box.enqueue("chat", "r2", "c2", [{"text": "other"}])
    claimed = box.claim_due(["chat"])
    assert sorted((m.recipient, m.payload["text"]) for m in claimed) == [("r1", "one"), ("r2", "other")]
    assert box.claim_due(["chat"]) == []  # "two" waits until "one" is sent


def test_messages_to_one_recipient_go_out_in_order(box: Outbox) -> None:
    box.enqueue("chat", "r1", "c1", [{"text": "one"}, {"text": "two"}, {"text": "three"}])
    box.enqueue("chat", "r2", "c2", [{"text": "other"}])
    api = ScriptedAPI()
    run_until_idle(OutboxWorker(box, {"chat": api}))
    assert [t for r, t in api.delivered if r == "r1"] == ["one", "two", "three"]


def test_transient_errors_are_retried_and_the_message_is_sent_once(box: Outbox, monkeypatch) -> None:
    monkeypatch.setattr(outbox_module, "BASE_DELAY_S", 0.01)
    box.enqueue("chat", "r1", "c1", [{"text": "hello"}])
    api = ScriptedAPI([RetryableSendError("503"), RetryableSendError("timeout")])
    run_until_idle(OutboxWorker(box, {"chat": api}))
    assert api.delivered == [("r1", "hello")]
    assert box.counts() == {"sent": 1}


def test_retry_after_is_respected(box: Outbox) -> None:
    [message_id] = box.enqueue("chat", "r1", "c1", [{"text": "hello"}])
    [message] = box.claim_due(["chat"])
    box.mark_retry(message, "429", retry_after=30)
    with box.engine.connect() as db:
        due = db.execute(sa.select(outbox.c.next_attempt_at).where(outbox.c.id == message_id)).scalar()
    assert 29 < due - time.time() <= 30.5
    assert box.claim_due(["chat"]) == []


def test_permanent_errors_and_exhausted_retries_mark_failed(box: Outbox, monkeypatch, caplog) -> None:
    monkeypatch.setattr(outbox_module, "BASE_DELAY_S", 0.0)
    box.enqueue("chat", "r1", "conv-1", [{"text": "a"}])
    box.enqueue("chat", "r2", "conv-2", [{"text": "b"}])
    api = ScriptedAPI([PermanentSendError("blocked by user")] + [RetryableSendError("down")] * MAX_ATTEMPTS)
    run_until_idle(OutboxWorker(box, {"chat": api}))
    assert box.counts() == {"failed": 2}
    assert "conv-1" in caplog.text and "conv-2" in caplog.text


def test_a_claim_left_by_a_crashed_process_is_resumed_after_its_lease(box: Outbox, monkeypatch) -> None:
    box.enqueue("chat", "r1", "c1", [{"text": "survives"}])
    [message] = box.claim_due(["chat"])  # claimed, then the process "dies" before sending
    assert box.claim_due(["chat"]) == []  # still leased
    with box.engine.begin() as db:  # the lease runs out
        db.execute(outbox.update().where(outbox.c.id == message.id).values(next_attempt_at=time.time() - 1))
    api = ScriptedAPI()
    run_until_idle(OutboxWorker(Outbox(box.engine), {"chat": api}))  # a new process
    assert api.delivered == [("r1", "survives")]


def test_long_text_is_split_at_boundaries_within_the_limit() -> None:
    text = ("word " * 1000).strip() + "\n\n" + "second paragraph"
    parts = split_text(text, limit=4096)
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 2
    assert " ".join(parts).split() == text.split()


def test_workers_of_several_instances_send_each_message_once_and_in_order(database_url: str) -> None:  # noqa: F811
    first = Outbox(open_database(database_url))
    queued = {f"+1555{n}": first.enqueue("sms", f"+1555{n}", f"sms:+1555{n}", [{"text": f"{n}-{k}"} for k in range(4)])
              for n in range(10)}
    sent: list[tuple[str, int]] = []

    def instance() -> None:
        box = Outbox(open_database(database_url))  # an engine of its own, as another instance has
        idle = 0
        while idle < 3:
            claimed = box.claim_due(["sms"], 3)
            idle = 0 if claimed else idle + 1
            for message in claimed:
                sent.append((message.recipient, message.id))
                box.mark_sent(message.id, f"SM{message.id}")

    results, errors = at_once(4, instance)
    assert errors == []
    assert sorted(i for _, i in sent) == sorted(i for ids in queued.values() for i in ids)
    for recipient, ids in queued.items():
        assert [i for who, i in sent if who == recipient] == ids


def test_replies_of_a_turn_run_again_are_stored_once(box: Outbox) -> None:
    first = box.enqueue("telegram", "42", "42", [{"text": "Hi there!"}], turn_key="telegram:7#0")
    again = box.enqueue("telegram", "42", "42", [{"text": "Hello!"}], turn_key="telegram:7#0")
    second = box.enqueue("telegram", "42", "42", [{"text": "part 1"}, {"text": "part 2"}], turn_key="telegram:7#1")
    untagged = [box.enqueue("telegram", "42", "42", [{"text": "Sorry"}]) for _ in range(2)]
    longer = box.enqueue("telegram", "42", "42", [{"text": "part 1"}, {"text": "part 2"}, {"text": "part 3"}],
                         turn_key="telegram:7#1")  # only the part not stored before, with its own id
    assert len(first) == 1 and again == [] and len(second) == 2 and all(len(ids) == 1 for ids in untagged)
    with box.engine.connect() as db:
        rows = db.execute(sa.select(outbox).order_by(outbox.c.id)).all()
    assert [row.payload["text"] for row in rows] == ["Hi there!", "part 1", "part 2", "Sorry", "Sorry", "part 3"]
    assert longer == [rows[-1].id]


def test_a_recipient_with_a_long_queue_behind_a_retry_does_not_hold_up_the_others(box: Outbox) -> None:
    # a provider outage for one customer: their first message waits for its retry, 300 more queue behind it
    box.enqueue("chat", "stuck", "c1", [{"text": f"part {n}"} for n in range(300)])
    [head] = box.claim_due(["chat"])
    assert box.mark_retry(head, "provider down", retry_after=60)
    box.enqueue("chat", "other", "c2", [{"text": "hello"}])
    assert [(m.recipient, m.payload["text"]) for m in box.claim_due(["chat"])] == [("other", "hello")]


def test_the_claim_finds_each_recipients_head_through_the_queue_index(tmp_path) -> None:
    """SQLite checks "an earlier unsent message to the same recipient" on the partial recipient index: its cost
    follows the unsent rows, not the sent ones kept until the retention purge."""
    import sqlalchemy as sa

    from bot.messaging.outbox import heads

    engine = open_database(f"sqlite:///{tmp_path / 'plan.db'}")
    sql = str(heads(["chat"], 1.0, 20).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as db:
        plan = " | ".join(row[-1] for row in db.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "USING COVERING INDEX ix_frontdesk_outbox_recipient_queue" in plan or \
        "USING INDEX ix_frontdesk_outbox_recipient_queue" in plan, plan
