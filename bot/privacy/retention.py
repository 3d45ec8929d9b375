"""Retention: conversations quiet for longer than `privacy.retention_days` are deleted, and delivery queues are kept short.

`purge` finds every conversation whose last activity (its last tracker event,
handoff change, survey, visit, inbound or outbound message, CRM write) is older
than the cutoff, keeps its anonymous report figures (bot/report/archive.py)
and deletes its rows as an erasure does (holdings.HOLDINGS), but not HubSpot's
copy: the CRM's records follow the company's CRM retention. Inbox rows that are done
and outbox rows that were sent go after `privacy.queue_retention_days`. Each run
is logged in `frontdesk_erasures` (kind `purge`, counts only).

The running assistant purges once a day by itself (`RetentionWorker`, started
in the Rasa server by channels/retention.py); a lease row in
`frontdesk_channel_state` lets one instance at a time do it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.config import PrivacyConfig  # assistant.yml's `privacy:` section (bot/config)
from bot.messaging import PeriodicTask
from bot.messaging.store import (channel_values, crm_sync, customers, delivery, erasures, handoffs, inbox, outbox,
                                 scheduled, surveys)
from bot.privacy.erasure import utc_iso
from bot.privacy.holdings import EVENTS, TABLES, count_held, erase_rows
from bot.privacy.subjects import subject_of_conversation

logger = logging.getLogger(__name__)

DAY_S = 86400.0
LEASE = ("privacy", "retention", "lease")  # frontdesk_channel_state (channel, recipient, key)
LAST_RUN = ("privacy", "retention", "last_purge")
BATCH = 50  # conversations per transaction (short write locks while the assistant runs)


# Where a conversation shows activity: (table, conversation id column, time column).
ACTIVITY = (
    (EVENTS, EVENTS.c.sender_id, EVENTS.c.timestamp),
    (customers, customers.c.conversation_id, customers.c.last_seen_at),
    (handoffs, handoffs.c.conversation_id, handoffs.c.updated_at),
    (surveys, surveys.c.conversation_id, surveys.c.created_at),
    (inbox, inbox.c.sender, inbox.c.received_at),
    (outbox, outbox.c.conversation_id, outbox.c.created_at),
    (crm_sync, crm_sync.c.conversation_id, crm_sync.c.updated_at),
    (scheduled, scheduled.c.conversation_id, scheduled.c.created_at),
)


def quiet_conversations(engine: Engine, cutoff: float) -> list[str]:
    """Conversation ids whose last activity anywhere is before `cutoff`."""
    last: dict[str, float] = {}
    with engine.connect() as db:
        tables = set(sa.inspect(db).get_table_names())
        for table, conversation, at in ACTIVITY:
            if table.name not in tables:
                continue
            for conversation_id, latest in db.execute(sa.select(conversation, sa.func.max(at)).group_by(conversation)):
                last[conversation_id] = max(last.get(conversation_id, float("-inf")), float(latest or 0.0))
    return sorted(cid for cid, latest in last.items() if latest < cutoff)


def _queue_rows(now: float, config: PrivacyConfig):
    """(table, where) for the delivery records past `queue_retention_days`: done inbox rows, sent outbox rows
    (with their delivery statuses)."""
    cutoff = now - config.queue_retention_days * DAY_S
    sent = sa.and_(outbox.c.status == "sent", outbox.c.created_at < cutoff)
    return (
        (inbox, sa.and_(inbox.c.status == "done", sa.func.coalesce(inbox.c.finished_at, inbox.c.received_at) < cutoff)),
        (delivery, delivery.c.provider_id.in_(sa.select(outbox.c.provider_id).where(sent).scalar_subquery())),
        (outbox, sent),
    )


def purge(engine: Engine, config: PrivacyConfig, now: float | None = None, dry_run: bool = False,
          requested_by: str = "cli") -> dict[str, Any]:
    """Delete conversations quiet for longer than `retention_days` (keeping their report figures) and done queue
    rows older than `queue_retention_days`; the receipt, logged unless `dry_run` (then nothing changes)."""
    from bot.report import keep_figures

    now = time.time() if now is None else now
    cutoff = now - config.retention_days * DAY_S
    quiet = quiet_conversations(engine, cutoff)
    deleted = {table: 0 for table in TABLES}
    kept = 0
    with engine.begin() as db:
        tables = set(sa.inspect(db).get_table_names())
        queue = {table.name: _apply(db, table, where, dry_run) for table, where in _queue_rows(now, config)
                 if table.name in tables}
        if dry_run:
            for conversation_id in quiet:
                for table, n in count_held(db, subject_of_conversation(conversation_id)).items():
                    deleted[table] += n
    for start in range(0, 0 if dry_run else len(quiet), BATCH):
        with engine.begin() as db:
            batch = quiet[start:start + BATCH]
            kept += keep_figures(db, batch, now)
            for conversation_id in batch:
                for table, n in erase_rows(db, subject_of_conversation(conversation_id)).items():
                    deleted[table] += n
    receipt = {"erasure": "purge", "at": utc_iso(now), "requested_by": requested_by, "dry_run": dry_run,
               "retention_days": config.retention_days, "quiet_since": utc_iso(cutoff),
               "conversations": len(quiet), "rows_deleted": sum(deleted.values()), "deleted": deleted,
               "report_figures_kept": kept, "queue_retention_days": config.queue_retention_days,
               "queue_rows_deleted": queue}
    if not dry_run:
        with engine.begin() as db:
            db.execute(erasures.insert().values(kind="purge", at=now, requested_by=requested_by, receipt=receipt))
    return receipt


def _apply(db, table, where, dry_run: bool) -> int:
    """Delete the rows (or, for a dry run, count them)."""
    if dry_run:
        return int(db.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar() or 0)
    return db.execute(sa.delete(table).where(where)).rowcount or 0


class Lease:
    """A row in `frontdesk_channel_state` that one holder owns until it expires: one instance purges at a time."""

    def __init__(self, engine: Engine, holder: str | None = None, key: tuple[str, str, str] = LEASE) -> None:
        self.engine = engine
        self.holder = holder or uuid.uuid4().hex
        self.key = key

    def _where(self):
        c = channel_values.c
        return sa.and_(c.channel == self.key[0], c.recipient == self.key[1], c.key == self.key[2])

    def acquire(self, seconds: float, now: float | None = None) -> bool:
        """Take the lease for `seconds` unless another holder's lease is still running."""
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            db.execute(sa.delete(channel_values).where(self._where(), channel_values.c.updated_at < now - seconds))
            try:
                with db.begin_nested():
                    db.execute(channel_values.insert().values(channel=self.key[0], recipient=self.key[1], key=self.key[2],
                                                              value=self.holder, updated_at=now))
            except sa.exc.IntegrityError:
                return False
        return True

    def release(self) -> None:
        """Give the lease up, if it is still ours."""
        with self.engine.begin() as db:
            if db.execute(sa.select(channel_values.c.value).where(self._where())).scalar() == self.holder:
                db.execute(sa.delete(channel_values).where(self._where()))


class RetentionWorker(PeriodicTask):
    """Purges once every `purge_every_h` (default daily) in the running assistant, one instance at a time."""

    LEASE_S = 3600.0
    CHECK_EVERY_S = 300.0

    def __init__(self, engine: Engine, config: PrivacyConfig, first_check_s: float = 60.0) -> None:
        self.engine = engine
        self.config = config
        self.lease = Lease(engine)
        self.first_check_s = first_check_s

    def run_if_due(self, now: float | None = None) -> dict[str, Any] | None:
        """Purge when the last purge (by any instance) is older than `purge_every_h` and the lease is ours."""
        now = time.time() if now is None else now
        with self.engine.connect() as db:
            last = db.execute(sa.select(sa.func.max(erasures.c.at)).where(
                erasures.c.kind == "purge", erasures.c.requested_by == "retention")).scalar()
        if last is not None and now - last < self.config.purge_every_h * 3600.0:
            return None
        if not self.lease.acquire(self.LEASE_S, now):
            return None
        try:
            receipt = purge(self.engine, self.config, now, requested_by="retention")
        finally:
            self.lease.release()
        logger.info("retention: purged %d conversation(s) quiet since %s, %d row(s)", receipt["conversations"],
                    receipt["quiet_since"], receipt["rows_deleted"])
        return receipt

    async def _run(self) -> None:
        await self.repeat(lambda: asyncio.to_thread(self.run_if_due), self.CHECK_EVERY_S, "retention: the daily purge",
                          logger=logger, first_after=self.first_check_s)
