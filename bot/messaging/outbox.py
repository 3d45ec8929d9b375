"""The persistent outbox: every outbound message is stored before it is sent.

A message is written as `pending`, claimed by a worker (`sending`, with a
lease), then marked `sent` with the provider's id, or retried with
exponential backoff (or the provider's Retry-After) after a network error, a
5xx or a 429, and marked `failed` after the last attempt (logged with the
conversation id). On PostgreSQL a claim is `SELECT ... FOR UPDATE SKIP LOCKED`, so several
instances' workers share the rows; on SQLite a compare-and-set per row. A claim whose lease ran out (the process died mid-send) is
taken again, so a restart resumes what was pending.

Senders are per channel and translate vendor errors into `RetryableSendError`
or `PermanentSendError`; the outbox never touches a vendor SDK.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.errors import FrontdeskError
from bot.messaging.loop import PeriodicTask
from bot.messaging.store import delivery, outbox

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BASE_DELAY_S = 0.5
MAX_DELAY_S = 60.0
# INSERT ... ON CONFLICT DO NOTHING on the databases Frontdesk runs on (README "The database")
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
LEASE_S = 30.0  # a send gives up within 25 s (connect 5 + write 10 + read 10); a dead instance's sends are taken again after this


class SendError(FrontdeskError):
    """A send did not succeed."""


class RetryableSendError(SendError):
    """Worth trying again: network error, timeout, 5xx, 429. `retry_after` in seconds, if the provider said."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Trying again will not help (bad request, blocked by the user, invalid token)."""


class RecipientBlockedError(PermanentSendError):
    """The customer blocked us (Telegram's 403 "bot was blocked by the user"): they are opted out until they write."""


class WindowClosedError(PermanentSendError):
    """WhatsApp will not deliver this message now: the customer's 24-hour window is closed and there is no template
    for it, or Twilio refused it for the window or the template (63016 ...). Not retried: the message is `held`
    until the customer writes again. `reason` is a short code (no_template, twilio_63016)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class Sender(Protocol):
    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        """Deliver one message; return the provider's message id. Raises SendError."""


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str
    recipient: str
    conversation_id: str
    payload: dict[str, Any]
    attempts: int


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempts + 1`: the provider's Retry-After, else exponential with jitter."""
    if retry_after is not None:
        return min(float(retry_after), MAX_DELAY_S * 10)
    delay = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def _unsent(table: sa.Table):
    """`status IN ('pending', 'sending')` with the values written out, as the partial index says it (store.py)."""
    return table.c.status.in_([sa.literal_column(f"'{status}'") for status in ("pending", "sending")])


def heads(channels: list[str], now: float, limit: int) -> sa.Select:
    """Due unsent rows with no earlier unsent row of the same recipient, oldest first."""
    c, earlier = outbox.c, outbox.alias("earlier")
    older_unsent = sa.exists().where(
        earlier.c.recipient == c.recipient, _unsent(earlier), earlier.c.channel.in_(channels),
        sa.tuple_(earlier.c.created_at, earlier.c.id) < sa.tuple_(c.created_at, c.id))
    return (sa.select(outbox).where(c.channel.in_(channels), _unsent(outbox), c.next_attempt_at <= now, ~older_unsent)
            .order_by(c.created_at, c.id).limit(limit))


class Outbox:
    """The outbox table; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def enqueue(self, channel: str, recipient: str, conversation_id: str, payloads: list[dict[str, Any]],
                turn_key: str | None = None) -> list[int]:
        """Store messages as pending, in order; return the ids of those stored now. With `turn_key` (which reply
        of which inbound message this is) a part stored already, by an earlier run of the same turn, is not
        stored again: the insert ignores a conflict on the unique turn-key index."""
        now = time.time()
        insert = _INSERTS[self.engine.dialect.name]
        ids = []
        with self.engine.begin() as db:
            for offset, payload in enumerate(payloads):
                key = None if turn_key is None else f"{turn_key}.{offset}"
                result = db.execute(insert(outbox).values(
                    channel=channel, recipient=recipient, conversation_id=conversation_id, payload=payload,
                    status="pending", attempts=0, next_attempt_at=now + offset * 1e-6, created_at=now + offset * 1e-6,
                    turn_key=key,
                ).on_conflict_do_nothing(index_elements=[outbox.c.turn_key]))
                if result.rowcount == 0:  # then inserted_primary_key is not this row's (SQLite's last rowid)
                    logger.info("outbox: reply %s of a turn run again was stored already; not sent twice", key)
                    continue
                ids.append(int(result.inserted_primary_key[0]))
        return ids

    def claim_due(self, channels: list[str], limit: int = 20) -> list[OutboxMessage]:
        """Take up to `limit` due messages for these channels, oldest first, one per recipient: only a row that
        heads its recipient's queue (no earlier unsent row) is due, so a conversation's messages go in order, the
        next claimed only after the previous one left `sending`; a long queue behind one recipient's retry holds
        up nobody else. PostgreSQL locks the rows `FOR UPDATE SKIP LOCKED` (several instances' workers share them
        without waiting); SQLite claims each with a compare-and-set on its due time."""
        now, c = time.time(), outbox.c
        query = heads(channels, now, limit)
        postgresql = self.engine.dialect.name == "postgresql"
        with self.engine.begin() as db:
            rows = db.execute(query.with_for_update(skip_locked=True, of=outbox) if postgresql else query).mappings().all()
            if postgresql and rows:
                db.execute(outbox.update().where(c.id.in_([row["id"] for row in rows]))
                           .values(status="sending", next_attempt_at=now + LEASE_S))
            elif rows:  # nobody else claimed it in between
                rows = [row for row in rows if db.execute(
                    outbox.update().where(c.id == row["id"], c.next_attempt_at == row["next_attempt_at"])
                    .values(status="sending", next_attempt_at=now + LEASE_S)).rowcount == 1]
        return [OutboxMessage(row["id"], row["channel"], row["recipient"], row["conversation_id"], row["payload"],
                              row["attempts"]) for row in rows]

    def mark_sent(self, message_id: int, provider_id: str | None) -> None:
        with self.engine.begin() as db:
            db.execute(outbox.update().where(outbox.c.id == message_id).values(
                status="sent", provider_id=provider_id, sent_at=time.time(), attempts=outbox.c.attempts + 1))

    def mark_retry(self, message: OutboxMessage, error: str, retry_after: float | None) -> bool:
        """Schedule another attempt; False (and marked failed) when attempts are used up."""
        attempts = message.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self.mark_failed(message, error)
            return False
        with self.engine.begin() as db:
            db.execute(outbox.update().where(outbox.c.id == message.id).values(
                status="pending", attempts=attempts, last_error=error[:500],
                next_attempt_at=time.time() + backoff(attempts, retry_after)))
        return True

    def mark_failed(self, message: OutboxMessage, error: str) -> None:
        with self.engine.begin() as db:
            db.execute(outbox.update().where(outbox.c.id == message.id).values(
                status="failed", attempts=message.attempts + 1, last_error=error[:500]))
        logger.error("outbox: message %s to conversation %s on %s failed for good: %s",
                     message.id, message.conversation_id, message.channel, error)

    def mark_held(self, message: OutboxMessage, reason: str, detail: str) -> None:
        """Keep a message WhatsApp's window stops (not retried); `release_held` sends it when the customer writes."""
        with self.engine.begin() as db:
            db.execute(outbox.update().where(outbox.c.id == message.id).values(
                status="held", attempts=message.attempts + 1, last_error=detail[:500], held_reason=reason[:64],
                held_at=time.time()))
        logger.warning("outbox: message %s to conversation %s on %s is held for the window: %s",
                       message.id, message.conversation_id, message.channel, reason)

    def release_held(self, channel: str, recipient: str, cancel: Callable[[dict[str, Any]], bool]) -> tuple[int, int]:
        """The customer wrote: held messages to them are due again, in their order, except those `cancel(payload)`
        says are no longer relevant (marked cancelled). Returns (released, cancelled)."""
        now = time.time()
        released = cancelled = 0
        with self.engine.begin() as db:
            rows = db.execute(sa.select(outbox.c.id, outbox.c.payload).where(
                outbox.c.channel == channel, outbox.c.recipient == recipient, outbox.c.status == "held")).all()
            for row_id, payload in rows:
                if cancel(payload):
                    db.execute(outbox.update().where(outbox.c.id == row_id, outbox.c.status == "held")
                               .values(status="cancelled"))
                    cancelled += 1
                else:
                    db.execute(outbox.update().where(outbox.c.id == row_id, outbox.c.status == "held")
                               .values(status="pending", next_attempt_at=now))
                    released += 1
        return released, cancelled

    def held(self, conversation_id: str, since: float = 0.0) -> list[dict[str, Any]]:
        """Messages to this conversation held for WhatsApp's window, created at or after `since`, oldest first:
        {id, payload, reason, held_at, created_at}."""
        c = outbox.c
        with self.engine.connect() as db:
            rows = db.execute(sa.select(c.id, c.payload, c.held_reason, c.held_at, c.created_at).where(
                c.conversation_id == conversation_id, c.status == "held", c.created_at >= since)
                .order_by(c.created_at)).mappings().all()
        return [{"id": r["id"], "payload": r["payload"], "reason": r["held_reason"], "held_at": r["held_at"],
                 "created_at": r["created_at"]} for r in rows]

    def record_status(self, provider_id: str, status: str) -> None:
        """Store a delivery report (e.g. Twilio's status callback) for a message we sent."""
        with self.engine.begin() as db:
            db.execute(delivery.delete().where(delivery.c.provider_id == provider_id))
            db.execute(delivery.insert().values(provider_id=provider_id, status=status, updated_at=time.time()))
        if status in {"failed", "undelivered"}:
            logger.warning("outbox: the provider reports message %s as %s", provider_id, status)

    def delivery_status(self, provider_id: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(sa.select(delivery.c.status).where(delivery.c.provider_id == provider_id)).scalar()

    def sent_payload(self, channel: str, recipient: str, provider_id: str) -> dict[str, Any] | None:
        """The payload of the message we sent that the provider knows as `provider_id` (e.g. to match a reply to it)."""
        with self.engine.connect() as db:
            return db.execute(sa.select(outbox.c.payload).where(
                outbox.c.channel == channel, outbox.c.recipient == recipient, outbox.c.provider_id == provider_id)).scalar()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as db:
            return {status: n for status, n in db.execute(
                sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status))}


class OutboxWorker(PeriodicTask):
    """Sends due messages for the channels it has senders for, until stopped."""

    def __init__(self, box: Outbox, senders: dict[str, Sender], poll_s: float = 0.2) -> None:
        self.box = box
        self.senders = senders
        self.poll_s = poll_s
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Call after enqueueing, so messages go out without waiting for the next poll."""
        self._wake.set()

    async def drain_once(self) -> int:
        """Send what is due now (concurrently across recipients); return how many were attempted."""
        claimed = await asyncio.to_thread(self.box.claim_due, list(self.senders))
        await asyncio.gather(*(self._deliver(m) for m in claimed))
        return len(claimed)

    async def _deliver(self, message: OutboxMessage) -> None:
        sender = self.senders[message.channel]
        try:
            provider_id = await sender.send(message.recipient, message.payload)
        except RetryableSendError as error:
            logger.warning("outbox: message %s (conversation %s) will be retried: %s", message.id, message.conversation_id, error)
            await asyncio.to_thread(self.box.mark_retry, message, str(error), error.retry_after)
        except WindowClosedError as error:
            await asyncio.to_thread(self.box.mark_held, message, error.reason, str(error))
        except PermanentSendError as error:
            await asyncio.to_thread(self.box.mark_failed, message, str(error))
        except Exception as error:  # a sender bug must not stop the worker; treat as transient
            logger.exception("outbox: unexpected error sending message %s", message.id)
            await asyncio.to_thread(self.box.mark_retry, message, f"{type(error).__name__}: {error}", None)
        else:
            await asyncio.to_thread(self.box.mark_sent, message.id, provider_id)
            self._wake.set()  # the recipient's next message may be due now

    async def _run(self) -> None:
        await self.repeat(self.drain_once, self.poll_s, "outbox", wake=self._wake, logger=logger)
