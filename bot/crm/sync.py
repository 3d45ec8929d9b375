"""Recording conversations in HubSpot: a sync worker beside the conversations, never on their path.

Every few seconds `CrmSync` scans the records (docs/conversation-records.md)
for conversations that ended (closed, idle for `crm.idle_timeout_s`, or
resolved by an agent) and for handoffs opened or resolved, and queues one
outbox job (channel `hubspot`) per thing to write: a note on the contact, a
ticket, a ticket closed. The outbox retries with backoff and honours 429's
Retry-After; its jobs for one customer run one at a time, in order.

Idempotent: `frontdesk_crm_sync` holds, per key (contact:<conversation>,
note:<conversation>:<first event id>, ticket:<handoff>, ticket_closed:<handoff>),
what was queued and the HubSpot id we got back, so a retried job or a re-run
never writes twice. Contacts are searched before they are created; a create
whose answer was lost (timeout, 5xx) is looked up by its ref before it is sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.crm.records import (PHONE_CHANNELS, build_record, handoff_senders, handoff_spans, load_events, max_event_id,
                             note_html, sender_activity, split)
from bot.config import CrmConfig
from bot.handoff import ticket_text
from bot.vendors import NOTE_TO_CONTACT, TICKET_TO_CONTACT, ConflictError, HubSpotClient, association
from bot.messaging import Outbox, OutboxWorker, PermanentSendError, RetryableSendError, channel_state
from bot.messaging.store import crm_sync, handoffs, outbox

logger = logging.getLogger(__name__)

CHANNEL = "hubspot"
# frontdesk_channel_state (channel `hubspot`): when the last scan ran, and [time, largest event id] pairs
WATERMARK = ("scanner", "scanned_until")
CHECKPOINTS = ("scanner", "event_id_checkpoints")
TOP_EVENT = ("scanner", "seen_up_to_event_id")  # the largest event id when the last scan began
CHECKPOINT_EVERY_S = 30.0
SCAN_MARGIN_S = 120.0  # events written late or a clock a little off still get read
RECHECK_MARGIN_S = 10.0  # deadlines this long before the last scan are checked again


def ref_token(key: str) -> str:
    """A word unique to one note or ticket, written into it so a lost create can be found by search."""
    return "fd" + hashlib.sha256(key.encode()).hexdigest()[:24]


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


class Ledger:
    """frontdesk_crm_sync: what was queued or written, and HubSpot's ids."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(crm_sync).where(crm_sync.c.key == key)).mappings().first()
        return dict(row) if row else None

    def known(self, keys: list[str]) -> set[str]:
        with self.engine.connect() as db:
            return set(db.execute(sa.select(crm_sync.c.key).where(crm_sync.c.key.in_(keys))).scalars()) if keys else set()

    def _upsert(self, key: str, kind: str, conversation_id: str, **values: Any) -> None:
        now = time.time()
        with self.engine.begin() as db:
            if db.execute(crm_sync.update().where(crm_sync.c.key == key).values(updated_at=now, **values)).rowcount:
                return
        try:
            with self.engine.begin() as db:
                db.execute(crm_sync.insert().values(key=key, kind=kind, conversation_id=conversation_id,
                                                    created_at=now, updated_at=now, **{"status": "queued", **values}))
        except sa.exc.IntegrityError:  # another instance inserted it just now
            with self.engine.begin() as db:
                db.execute(crm_sync.update().where(crm_sync.c.key == key).values(updated_at=now, **values))

    def queued(self, key: str, kind: str, conversation_id: str, outbox_id: int, last_event_id: int | None) -> None:
        self._upsert(key, kind, conversation_id, outbox_id=outbox_id, last_event_id=last_event_id)

    def last_noted_event(self, conversation_id: str) -> int | None:
        """The last event id of this sender's latest conversation queued for a note."""
        with self.engine.connect() as db:
            return db.execute(sa.select(sa.func.max(crm_sync.c.last_event_id)).where(
                crm_sync.c.conversation_id == conversation_id, crm_sync.c.kind == "note")).scalar()

    def attempted(self, key: str, kind: str, conversation_id: str) -> None:
        self._upsert(key, kind, conversation_id, attempted_at=time.time())

    def done(self, key: str, kind: str, conversation_id: str, hubspot_id: str) -> None:
        self._upsert(key, kind, conversation_id, status="done", hubspot_id=hubspot_id)


def contact_identity(sender: str, channel: str, config: CrmConfig) -> tuple[str, str]:
    """(contact property, value) that finds this customer's contact."""
    if channel in PHONE_CHANNELS:
        return "phone", sender.removeprefix("whatsapp:")
    if channel == "telegram":
        return config.telegram_property, sender
    if sender.startswith(("rest:", "webchat:")):  # a visitor session's id already names its channel
        return config.chat_property, sender
    return config.chat_property, f"{channel}:{sender}"


class HubSpotSender:
    """The outbox's sender for channel `hubspot`: one job writes one note, ticket or ticket closure."""

    def __init__(self, engine: Engine, client: HubSpotClient, config: CrmConfig) -> None:
        self.engine = engine
        self.client = client
        self.config = config
        self.ledger = Ledger(engine)

    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        kind = payload.get("kind")
        if kind == "note":
            return await self._note(payload)
        if kind == "ticket":
            return await self._ticket(payload["handoff_id"])
        if kind == "ticket_closed":
            return await self._close_ticket(payload["handoff_id"])
        raise PermanentSendError(f"unknown CRM job kind {kind!r}")

    async def _create_once(self, key: str, kind: str, conversation_id: str, object_type: str,
                           find: tuple[str, str, str], properties: dict[str, Any],
                           associations: list[dict[str, Any]] | None = None) -> str:
        """Create one HubSpot object for `key`, unless an earlier (maybe unanswered) attempt did."""
        row = await asyncio.to_thread(self.ledger.get, key)
        if row and row["status"] == "done":
            return row["hubspot_id"]
        prop, value, operator = find
        if kind == "contact" or (row and row["attempted_at"]):
            if row and row["attempted_at"]:
                wait = self.config.search_settle_s - (time.time() - row["attempted_at"])
                if wait > 0:
                    raise RetryableSendError(f"{key}: waiting for HubSpot's search after an unanswered create",
                                             retry_after=wait)
            try:
                found = await self.client.search(object_type, prop, value, operator,
                                                 properties=[prop, "firstname"] if kind == "contact" else [prop])
            except PermanentSendError as refused:
                if kind == "contact":
                    raise
                # the ref search was refused: write it again rather than never (a duplicate at worst)
                logger.warning("crm: cannot look up %s by its ref (%s); creating it", key, refused)
                found = []
            if found:
                object_id = str(found[0]["id"])
                if kind == "contact" and properties.get("firstname") and not (found[0].get("properties") or {}).get("firstname"):
                    await self.client.update("contacts", object_id, {"firstname": properties["firstname"]})
                await asyncio.to_thread(self.ledger.done, key, kind, conversation_id, object_id)
                return object_id
        await asyncio.to_thread(self.ledger.attempted, key, kind, conversation_id)
        try:
            object_id = await self.client.create(object_type, properties, associations)
        except ConflictError as conflict:
            if not conflict.existing_id:
                raise
            object_id = conflict.existing_id
        await asyncio.to_thread(self.ledger.done, key, kind, conversation_id, object_id)
        logger.info("crm: %s %s is HubSpot %s %s", kind, key, object_type, object_id)
        return object_id

    async def _contact(self, sender: str, channel: str, name: str | None) -> str:
        prop, value = contact_identity(sender, channel, self.config)
        properties = {prop: value, **({"firstname": name} if name else {})}
        return await self._create_once(f"contact:{sender}", "contact", sender, "contacts", (prop, value, "EQ"), properties)

    async def _note(self, job: dict[str, Any]) -> str:
        key, sender = job["key"], job["conversation_id"]
        row = await asyncio.to_thread(self.ledger.get, key)
        if row and row["status"] == "done":
            return row["hubspot_id"]
        record = await asyncio.to_thread(build_record, self.engine, sender, job["first_id"], job["last_id"], job["end_reason"])
        if record is None:
            raise PermanentSendError(f"{key}: the conversation's events are gone")
        contact = await self._contact(sender, record.channel, record.name)
        ref = ref_token(key)
        properties = {"hs_timestamp": iso(record.end), "hs_note_body": note_html(record, ref)}
        return await self._create_once(key, "note", sender, "notes", ("hs_note_body", ref, "CONTAINS_TOKEN"),
                                       properties, [association(contact, NOTE_TO_CONTACT)])

    def _handoff(self, handoff_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(handoffs).where(handoffs.c.id == handoff_id)).mappings().first()
        return dict(row) if row else None

    async def _ticket(self, handoff_id: str) -> str:
        key = f"ticket:{handoff_id}"
        row = await asyncio.to_thread(self.ledger.get, key)
        if row and row["status"] == "done":
            return row["hubspot_id"]
        handoff = await asyncio.to_thread(self._handoff, handoff_id)
        if handoff is None:
            raise PermanentSendError(f"{key}: no such handoff")
        sender = handoff["conversation_id"]
        contact = await self._contact(sender, handoff["channel"], handoff["customer_name"])
        ref = ref_token(key)
        who = handoff["customer_name"] or f"{handoff['channel']} customer"
        properties = {
            "subject": f"Chat handover: {who} ({handoff['reason']})",
            "content": f"{ticket_text(handoff['summary'])}\n\nFrontdesk ref: {ref}",
            "hs_pipeline": self.config.ticket_pipeline,
            "hs_pipeline_stage": self.config.ticket_open_stage,
            "hs_ticket_priority": "HIGH" if handoff["reason"] in ("frustration", "abuse") else "MEDIUM",
        }
        return await self._create_once(key, "ticket", sender, "tickets", ("content", ref, "CONTAINS_TOKEN"),
                                       properties, [association(contact, TICKET_TO_CONTACT)])

    async def _close_ticket(self, handoff_id: str) -> str:
        key = f"ticket_closed:{handoff_id}"
        row = await asyncio.to_thread(self.ledger.get, key)
        if row and row["status"] == "done":
            return row["hubspot_id"]
        ticket_id = await self._ticket(handoff_id)
        await self.client.update("tickets", ticket_id, {"hs_pipeline_stage": self.config.ticket_closed_stage})
        conversation_id = (await asyncio.to_thread(self.ledger.get, f"ticket:{handoff_id}"))["conversation_id"]
        await asyncio.to_thread(self.ledger.done, key, "ticket_closed", conversation_id, ticket_id)
        logger.info("crm: closed HubSpot ticket %s (handoff %s)", ticket_id, handoff_id)
        return ticket_id


class Scanner:
    """Finds what is due for HubSpot and queues it (at most once per key)."""

    def __init__(self, engine: Engine, config: CrmConfig) -> None:
        self.engine = engine
        self.config = config
        self.box = Outbox(engine)
        self.ledger = Ledger(engine)
        self.state = channel_state(engine, CHANNEL)

    def jobs_for(self, sender: str, now: float) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        with self.engine.connect() as db:
            rows = db.execute(sa.select(handoffs.c.id, handoffs.c.status).where(handoffs.c.conversation_id == sender)
                              .order_by(handoffs.c.created_at)).all()
        for handoff_id, status in rows:
            jobs.append({"kind": "ticket", "key": f"ticket:{handoff_id}", "conversation_id": sender, "handoff_id": handoff_id})
            if status == "resolved":
                jobs.append({"kind": "ticket_closed", "key": f"ticket_closed:{handoff_id}", "conversation_id": sender,
                             "handoff_id": handoff_id})
        # conversations before the last one noted are all ended and noted: read only what follows it
        noted_up_to = self.ledger.last_noted_event(sender)
        events = load_events(self.engine, sender, first_id=noted_up_to + 1 if noted_up_to else None)
        segments = split(sender, events, handoff_spans(self.engine, sender), now,
                         self.config.idle_timeout_s, self.config.close_grace_s)
        for segment in segments:
            if segment.end_reason and segment.customer_spoke:
                jobs.append({"kind": "note", "key": f"note:{sender}:{segment.first_id}", "conversation_id": sender,
                             "first_id": segment.first_id, "last_id": segment.last_id, "end_reason": segment.end_reason})
        return jobs

    def scan(self, now: float | None = None) -> int:
        """Queue every job not queued before; return how many were queued.

        Reads little: the senders with events since `last scan - idle timeout - margin`,
        found by event id above a checkpoint (the largest event id at an earlier scan;
        Rasa's primary key, so a range read, not a scan of the history), and of those
        parses only the ones that can have a conversation ending now: new events since
        the last scan, a recent message (closing), an idle deadline just passed, or a
        handoff that changed.
        """
        now = time.time() if now is None else now
        top_id = max_event_id(self.engine)
        mark = self.state.get(*WATERMARK)
        checkpoints = self.state.get(*CHECKPOINTS) or []
        since = float(mark) - self.config.idle_timeout_s - SCAN_MARGIN_S if mark else 0.0
        after_id = max((cid for at, cid in checkpoints if at <= since), default=0) if mark else 0
        seen_up_to = int(self.state.get(*TOP_EVENT) or 0) if mark else 0
        window = float(mark) - RECHECK_MARGIN_S if mark else float("-inf")
        due = handoff_senders(self.engine, since)
        for sender, (last_id, last_ts) in sender_activity(self.engine, since, after_id).items():
            if (last_id > seen_up_to or last_ts + self.config.close_grace_s > window
                    or window < last_ts + self.config.idle_timeout_s <= now):
                due.add(sender)
        queued = 0
        for sender in sorted(due):
            jobs = self.jobs_for(sender, now)
            known = self.ledger.known([job["key"] for job in jobs])
            for job in jobs:
                if job["key"] not in known:
                    self._queue(job)
                    queued += 1
        queued += self.requeue_failed(now)
        if not checkpoints or now - checkpoints[-1][0] >= CHECKPOINT_EVERY_S:
            checkpoints.append([now, top_id])
        reach = now - self.config.idle_timeout_s - SCAN_MARGIN_S  # the next scan's `since` is at least this
        older = [c for c in checkpoints if c[0] <= reach]
        self.state.put(*CHECKPOINTS, older[-1:] + [c for c in checkpoints if c[0] > reach])
        self.state.put(*TOP_EVENT, top_id)
        self.state.put(*WATERMARK, now)
        return queued

    def _queue(self, job: dict[str, Any]) -> None:
        sender = job["conversation_id"]
        # recipient "hubspot:<conversation>": one job per customer at a time, in order, apart from chat messages
        [outbox_id] = self.box.enqueue(CHANNEL, f"{CHANNEL}:{sender}", sender, [job])
        self.ledger.queued(job["key"], job["kind"], sender, outbox_id, job.get("last_id"))

    def requeue_failed(self, now: float) -> int:
        """Queue again the jobs whose retries ran out a while ago (a long outage, a fixed setting)."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(outbox.c.payload).select_from(
                crm_sync.join(outbox, outbox.c.id == crm_sync.c.outbox_id)).where(
                crm_sync.c.status == "queued", outbox.c.status == "failed",
                crm_sync.c.updated_at < now - self.config.retry_failed_after_s)).scalars().all()
        for job in rows:
            logger.info("crm: queueing %s again after its retries ran out", job["key"])
            self._queue(job)
        return len(rows)


class CrmSync(OutboxWorker):
    """The background task: the outbox worker for channel `hubspot`, scanning every `poll_interval_s` too."""

    def __init__(self, engine: Engine, client: HubSpotClient, config: CrmConfig) -> None:
        super().__init__(Outbox(engine), {CHANNEL: HubSpotSender(engine, client, config)}, poll_s=0.5)
        self.scanner = Scanner(engine, config)
        self.config = config
        self.client = client
        self._next_scan = 0.0

    async def drain_once(self) -> int:
        if time.monotonic() >= self._next_scan:
            self._next_scan = time.monotonic() + self.config.poll_interval_s
            try:
                await asyncio.to_thread(self.scanner.scan)
            except Exception:  # the database may be briefly unavailable; sending goes on
                logger.exception("crm: scan failed")
        return await super().drain_once()

    async def stop(self) -> None:
        await super().stop()
        await self.client.aclose()


def status(engine: Engine) -> dict[str, Any]:
    """For the agent desk: notes/tickets written, waiting, failed (retried later), and the latest errors."""
    with engine.connect() as db:
        synced = db.execute(sa.select(sa.func.count()).where(crm_sync.c.status == "done", crm_sync.c.kind != "contact")).scalar()
        rows = db.execute(sa.select(crm_sync.c.key, crm_sync.c.conversation_id, outbox.c.status, outbox.c.attempts,
                                    outbox.c.last_error, crm_sync.c.updated_at)
                          .select_from(crm_sync.outerjoin(outbox, outbox.c.id == crm_sync.c.outbox_id))
                          .where(crm_sync.c.status == "queued", crm_sync.c.kind != "contact")
                          .order_by(crm_sync.c.updated_at.desc())).mappings().all()
    failed = [r for r in rows if r["status"] == "failed"]
    errors = [{"key": r["key"], "conversation_id": r["conversation_id"], "attempts": r["attempts"], "error": r["last_error"]}
              for r in rows if r["last_error"]][:10]
    return {"synced": int(synced or 0), "pending": len(rows) - len(failed), "failed": len(failed), "last_errors": errors}
