"""The persistent inbox: every inbound message is stored before its webhook is acknowledged.

A webhook writes the parsed message (secrets already masked) as `pending` in one short
transaction; the primary key (channel, provider id) doubles as the de-duplication, so a
provider's retry finds its row and gets no second answer. A worker claims due rows
(`working`, with a lease it renews while the turn runs), one per sender at a time and oldest
first, so a conversation's messages are answered in order (on PostgreSQL with
`SELECT ... FOR UPDATE SKIP LOCKED`, so the workers of several instances share the rows
without contention; on SQLite a compare-and-set per row). A turn that raises is retried after
a backoff, and after MAX_TURN_ATTEMPTS it is marked `failed`, logged with the conversation id
and handed to `give_up` (the channel sends an apology). A turn that fails because the database
or Redis is away is postponed without counting an attempt, and runs when they are back. A
claim whose lease ran out (the process died mid-turn) is taken again, so a restart resumes
every accepted message: a message accepted is a message answered or visibly failed. Such a
turn runs again unless Rasa had saved it already (the connector looks for the message id in
the tracker first, `InboxMessage.resumed`), so it is not run twice. Rasa hands each reply to the
output channel, which stores it in the outbox, before it saves the turn; so a turn cut after its
save has all its replies stored, and a turn run again after being cut earlier stores only the
replies the first run had not (each is keyed by message and position: channels/background.py
`TurnReplies`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.errors import UnavailableError
from bot.messaging.store import inbox

logger = logging.getLogger(__name__)

MAX_TURN_ATTEMPTS = 3
RETRY_DELAY_S = 1.0  # then 2 s
LEASE_S = 30.0  # a crashed process's turns are taken again this long after its last renewal
UNFINISHED = ("pending", "working")
DRAIN_S = 8.0  # stopping: how long running turns may finish (the supervisor gives a server 15 s to stop)
DEFAULT_CONCURRENCY = 8  # turns at once per worker (FRONTDESK_TURN_CONCURRENCY; measured in bench/README.md)
OUTAGE_RETRY_S = 2.0  # a turn that met an unreachable database or Redis waits this long, attempts unchanged
INSERT = inbox.insert()  # built once: `.values(...)` per call cost 0.25 ms against 0.09 ms (bench/README.md)


@dataclass(frozen=True)
class InboxMessage:
    channel: str
    external_id: str
    sender: str
    payload: dict[str, Any]
    attempts: int
    received_at: float
    resumed: bool = False  # an earlier attempt may have run (its lease ran out, or it failed): check before a rerun

    @property
    def key(self) -> tuple[str, str]:
        return self.channel, self.external_id


def _unfinished(table: sa.Table):
    """`status IN ('pending', 'working')` with the values written out, as the partial indexes say it (store.py)."""
    return table.c.status.in_([sa.literal_column(f"'{status}'") for status in UNFINISHED])


def _older_unfinished(channels: list[str]):
    """An unfinished message of the same sender that arrived earlier (ties broken by id): the row is not its head."""
    c, earlier = inbox.c, inbox.alias("earlier")
    return sa.exists().where(earlier.c.sender == c.sender, _unfinished(earlier), earlier.c.channel.in_(channels),
                             sa.tuple_(earlier.c.received_at, earlier.c.external_id) < sa.tuple_(c.received_at, c.external_id))


def _resumed(row) -> bool:
    return row["status"] == "working" or row["attempts"] > 0


class Inbox:
    """The inbox table; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def accept(self, channel: str, external_id: str, sender: str, payload: dict[str, Any]) -> bool:
        """Store a new message as pending; False when it was accepted before (a provider's retry)."""
        now = time.time()
        try:
            with self.engine.begin() as db:
                db.execute(INSERT, {"channel": channel, "external_id": external_id, "sender": sender, "payload": payload,
                                    "status": "pending", "attempts": 0, "next_attempt_at": now, "received_at": now})
        except sa.exc.IntegrityError:
            return False
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:  # the database is away: not stored
            raise UnavailableError(f"the database is unreachable ({type(error.orig or error).__name__})") from None
        return True

    def postpone(self, message: InboxMessage, error: str, delay_s: float | None = None) -> None:
        """Due again in `delay_s` (OUTAGE_RETRY_S), attempts unchanged: the turn could not run because a service was away."""
        delay_s = OUTAGE_RETRY_S if delay_s is None else delay_s
        with self.engine.begin() as db:
            db.execute(inbox.update().where(self._where(message.key), inbox.c.status == "working").values(
                status="pending", last_error=error[:500], next_attempt_at=time.time() + delay_s))

    def claim_due(self, channels: list[str], limit: int) -> list[InboxMessage]:
        """Take up to `limit` due messages, each the oldest unfinished one of its sender, oldest first.

        A sender whose oldest unfinished message is being worked on (live lease) or waits for a retry gets
        nothing, so its messages stay in order and one runs at a time across every worker and instance. The
        query walks the queue's partial indexes (store.py), so its cost follows the rows it returns, not the
        rows in the table. On PostgreSQL the heads are locked `FOR UPDATE SKIP LOCKED`, so workers of several
        instances never wait for, or fight over, the same rows (a head another worker holds is skipped, and
        its sender's later rows are not heads); on SQLite each is taken with a compare-and-set.
        """
        if limit <= 0:
            return []
        now = time.time()
        c = inbox.c
        heads = sa.select(inbox).where(c.channel.in_(channels), _unfinished(inbox), c.next_attempt_at <= now,
                                       ~_older_unfinished(channels)).order_by(c.received_at, c.external_id).limit(limit)
        postgresql = self.engine.dialect.name == "postgresql"
        if postgresql:
            heads = heads.with_for_update(skip_locked=True, of=inbox)
        take = inbox.update().values(status="working", next_attempt_at=now + LEASE_S)
        with self.engine.begin() as db:
            rows = db.execute(heads).mappings().all()
            if postgresql and rows:  # locked: all of them at once
                db.execute(take.where(sa.tuple_(c.channel, c.external_id).in_([(r["channel"], r["external_id"]) for r in rows])))
            elif rows:  # nobody else may have claimed one in between
                rows = [row for row in rows if db.execute(take.where(
                    c.channel == row["channel"], c.external_id == row["external_id"], c.status == row["status"],
                    c.next_attempt_at == row["next_attempt_at"])).rowcount == 1]
        return [InboxMessage(row["channel"], row["external_id"], row["sender"], row["payload"], row["attempts"],
                             row["received_at"], _resumed(row)) for row in rows]

    def _where(self, key: tuple[str, str]):
        return sa.and_(inbox.c.channel == key[0], inbox.c.external_id == key[1])

    def renew(self, keys: list[tuple[str, str]]) -> None:
        """Extend the leases of turns still running here."""
        if not keys:
            return
        with self.engine.begin() as db:
            for key in keys:
                db.execute(inbox.update().where(self._where(key), inbox.c.status == "working")
                           .values(next_attempt_at=time.time() + LEASE_S))

    def release(self, keys: list[tuple[str, str]]) -> None:
        """Give claimed messages back (shutting down): due again at once, attempts unchanged."""
        if not keys:
            return
        with self.engine.begin() as db:
            for key in keys:
                db.execute(inbox.update().where(self._where(key), inbox.c.status == "working")
                           .values(status="pending", next_attempt_at=time.time()))

    def mark_done(self, message: InboxMessage) -> None:
        with self.engine.begin() as db:
            db.execute(inbox.update().where(self._where(message.key)).values(
                status="done", attempts=message.attempts + 1, finished_at=time.time()))

    def mark_retry(self, message: InboxMessage, error: str) -> bool:
        """Schedule another attempt; False (and marked failed) when the attempts are used up."""
        attempts = message.attempts + 1
        if attempts >= MAX_TURN_ATTEMPTS:
            self.mark_failed(message, error)
            return False
        with self.engine.begin() as db:
            db.execute(inbox.update().where(self._where(message.key)).values(
                status="pending", attempts=attempts, last_error=error[:500],
                next_attempt_at=time.time() + RETRY_DELAY_S * 2 ** (attempts - 1)))
        return True

    def mark_failed(self, message: InboxMessage, error: str) -> None:
        with self.engine.begin() as db:
            db.execute(inbox.update().where(self._where(message.key)).values(
                status="failed", attempts=message.attempts + 1, last_error=error[:500], finished_at=time.time()))
        logger.error("inbox: %s message %s (conversation %s) failed after %d attempts: %s",
                     message.channel, message.external_id, message.sender, message.attempts + 1, error)

    def status(self, channel: str, external_id: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(sa.select(inbox.c.status).where(self._where((channel, external_id)))).scalar()

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as db:
            return {status: n for status, n in db.execute(sa.select(inbox.c.status, sa.func.count()).group_by(inbox.c.status))}


Turn = Callable[[InboxMessage], Awaitable[None]]


def is_outage(error: BaseException) -> bool:
    """True when `error` (or what caused it) says the database or Redis could not be reached: not the turn's fault."""
    import redis

    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, (UnavailableError, sa.exc.OperationalError, sa.exc.InterfaceError,
                              redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


class InboxWorker:
    """Runs the turns of due inbox messages for some channels, at most `concurrency` at once, until stopped.

    A pass claims as many due messages as there are free slots (one per sender: `Inbox.claim_due`); a pass
    runs when a message is accepted here (`wake`), when a turn ends, and every `poll_s` (messages accepted
    by another instance, retries falling due). Each instance's worker takes at most its free slots, so with
    several instances the turns spread over all of them."""

    def __init__(self, box: Inbox, channels: list[str], run_turn: Turn, give_up: Turn,
                 concurrency: int = DEFAULT_CONCURRENCY, poll_s: float = 0.5, settle_s: float = 0.0, drain_s: float = DRAIN_S) -> None:
        self.box = box
        self.drain_s = drain_s
        # Acknowledgements first: an idle worker starts turns only once no message was accepted for
        # `settle_s` (waiting at most that long), so a burst of webhooks is answered before the turns'
        # CPU work takes the event loop. A busy worker fills a freed slot at once: waiting there would
        # leave the slot empty under steady load. `last_accept` is set by whoever accepts (monotonic s).
        self.settle_s = settle_s
        self.last_accept = 0.0
        self.channels = channels
        self.run_turn = run_turn
        self.give_up = give_up
        self.concurrency = concurrency
        self.poll_s = poll_s
        self._running: dict[tuple[str, str], asyncio.Task] = {}
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._renewed_at = 0.0
        self._stopping = False

    def start(self) -> None:
        """Start on the running loop; the first pass resumes what a previous process left."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="inbox-worker")

    def wake(self) -> None:
        """Call (on the worker's loop) after accepting a message, so its turn starts without waiting for the poll."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self) -> None:
        """Stop claiming, let running turns finish for up to `drain_s`, then cancel the rest and give their
        messages back for the next start (another instance takes them at once). A turn cut short may have been
        saved already and so run twice; letting it finish is what keeps a rolling restart from doing that."""
        self._stopping = True  # Python 3.10's wait_for can swallow a cancellation; the loop checks this too
        self.wake()
        if self._task is not None:
            self._task.cancel()
        if self._running and self.drain_s > 0:
            await asyncio.wait(list(self._running.values()), timeout=self.drain_s)
        keys, running = list(self._running), list(self._running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, *([self._task] if self._task else []), return_exceptions=True)
        await asyncio.to_thread(self.box.release, keys)

    async def drain_once(self) -> list[asyncio.Task]:
        """Claim what is due and fits in the free slots; start those turns and return their tasks."""
        claiming = asyncio.ensure_future(asyncio.to_thread(self.box.claim_due, self.channels, self.concurrency - len(self._running)))
        try:
            claimed = await asyncio.shield(claiming)
        except asyncio.CancelledError:  # stopping while claiming: give back what was claimed
            await asyncio.to_thread(self.box.release, [message.key for message in await claiming])
            raise
        tasks = []
        for message in claimed:
            task = asyncio.get_running_loop().create_task(self._turn(message))
            self._running[message.key] = task
            tasks.append(task)
        return tasks

    async def _turn(self, message: InboxMessage) -> None:
        try:
            await self.run_turn(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if is_outage(error):
                logger.warning("inbox: the turn for %s message %s (conversation %s) waits: %s", message.channel,
                               message.external_id, message.sender, type(error).__name__)
                await asyncio.to_thread(self.box.postpone, message, f"{type(error).__name__}: {error}")
                return
            logger.warning("inbox: the turn for %s message %s (conversation %s) raised %s; attempt %d of %d",
                           message.channel, message.external_id, message.sender, type(error).__name__,
                           message.attempts + 1, MAX_TURN_ATTEMPTS, exc_info=True)
            reason = f"{type(error).__name__}: {error}"
            if not await asyncio.to_thread(self.box.mark_retry, message, reason):
                try:
                    await self.give_up(message)
                except Exception:
                    logger.exception("inbox: could not tell conversation %s that its message failed", message.sender)
        else:
            await asyncio.to_thread(self.box.mark_done, message)
        finally:
            self._running.pop(message.key, None)
            self.wake()  # a slot is free, and the sender's next message may be due

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            quiet_for = time.monotonic() - self.last_accept
            if not self._running and quiet_for < self.settle_s:  # a burst at an idle worker: acknowledge it first
                await asyncio.sleep(self.settle_s - quiet_for)
            try:
                await self.drain_once()
                if self._running and time.time() - self._renewed_at > LEASE_S / 3:
                    self._renewed_at = time.time()
                    await asyncio.to_thread(self.box.renew, list(self._running))
            except Exception:  # the database may be briefly unavailable; keep going
                logger.exception("inbox: worker pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
