"""The right to erasure: everything held about one customer deleted, in our database and in HubSpot, with a receipt.

`Eraser.forget(subject)` runs in one database transaction: the report's
anonymous figures of the customer's conversations are kept in the daily summary
(bot/report/archive.py), then every row `holdings.HOLDINGS` lists is deleted
(tracker events, inbox and outbox, delivery records, channel state, handoffs
and their messages, surveys, the profile, CRM sync rows). With the CRM on, our
notes and tickets about them are archived in HubSpot and the contact is
GDPR-deleted (bot/crm/erasure.py). The receipt (what was deleted where,
counts, time) is kept in `frontdesk_erasures` with a salted hash of the
conversation id instead of the contact. Running it again finds nothing and
says so; HubSpot work left by a failure is finished by the next run.

Mid-conversation: an open handoff is deleted with the rest, so the desk
answers 410 for it (`erased`) and agents see why. A turn Rasa is running
at that moment may save the session's events again after the delete:
the agent desk holds Rasa's lock for the conversation while it erases, and
the CLI, which cannot, sweeps once more a few seconds later (`sweep`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.handoff import OPEN
from bot.messaging.store import channel_values, erasures, handoffs
from bot.privacy.holdings import EVENTS, count_held, erase_rows, present
from bot.privacy.subjects import Subject

SALT = ("privacy", "erasure-log", "salt")  # frontdesk_channel_state (channel, recipient, key)
RECENT_S = 60.0  # a customer who wrote this recently may have a turn running: the CLI sweeps again
SWEEP_AFTER_S = 8.0


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Receipt:
    """The JSON receipt (`data`), and what the caller needs besides it."""

    data: dict[str, Any]
    log_id: int
    at: float
    handoff_ids: tuple[str, ...] = ()
    active_at: float | None = None  # the customer's last tracker event before the erasure
    hubspot_failed: bool = False

    @property
    def found(self) -> bool:
        return bool(self.data["found"])


@dataclass
class Eraser:
    """Erases one customer at a time from `engine` (and HubSpot, when `hubspot` is given)."""

    engine: Engine
    hubspot: Any = None  # a bot.vendors.HubSpotClient, or None when the CRM is off
    crm_config: Any = None  # bot.crm.CrmConfig (which contact properties the sync uses)
    clock: Any = field(default=time.time)

    def salt(self) -> bytes:
        """The erasure log's random salt, made once per database."""
        c = channel_values.c
        where = sa.and_(c.channel == SALT[0], c.recipient == SALT[1], c.key == SALT[2])
        with self.engine.begin() as db:
            value = db.execute(sa.select(c.value).where(where)).scalar()
            if value is None:
                value = secrets.token_hex(32)
                try:
                    with db.begin_nested():
                        db.execute(channel_values.insert().values(channel=SALT[0], recipient=SALT[1], key=SALT[2],
                                                                  value=value, updated_at=self.clock()))
                except sa.exc.IntegrityError:  # another process made it first
                    value = db.execute(sa.select(c.value).where(where)).scalar()
        return bytes.fromhex(value)

    def preview(self, subject: Subject) -> dict[str, int]:
        """How many rows each table holds about `subject` (nothing changes)."""
        with self.engine.connect() as db:
            return count_held(db, subject)

    def earlier(self, contact_hash: str) -> list[dict[str, Any]]:
        """Earlier erasures of this contact, oldest first: id, time, HubSpot work left."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(erasures.c.id, erasures.c.at, erasures.c.hubspot_pending).where(
                erasures.c.contact_hash == contact_hash).order_by(erasures.c.id)).mappings().all()
        return [dict(r) for r in rows]

    async def forget(self, subject: Subject, requested_by: str = "cli",
                     hold: Callable[[str], AbstractAsyncContextManager] | None = None) -> Receipt:
        """Erase everything held about `subject`; the receipt is logged and returned. `hold(conversation_id)` is
        held while our rows go (Rasa's lock for the conversation, in the server), not while HubSpot answers. The
        database work runs in a worker thread, so the Rasa server's loop is not held up."""
        contact_hash = subject.contact_hash(await asyncio.to_thread(self.salt))
        before = await asyncio.to_thread(self.earlier, contact_hash)
        async with (hold(subject.conversation_id) if hold else nullcontext()):
            now = self.clock()
            crm, found, active_at, kept, deleted = await asyncio.to_thread(self._erase_here, subject, now)
        hubspot = None
        if crm is not None:
            from bot.crm import erase_from_hubspot

            for row in before:
                crm.add(row["hubspot_pending"])
            hubspot = await erase_from_hubspot(self.hubspot, crm)
        total = sum(deleted.values())
        did_hubspot = hubspot is not None and (sum(hubspot.done.values()) > 0 or hubspot.pending is not None)
        data = {
            "erasure": "forget", "at": utc_iso(now), "requested_by": requested_by, "channel": subject.channel,
            "contact_hash": contact_hash, "found": bool(total or did_hubspot), "rows_deleted": total,
            "deleted": deleted,
            "handoffs": {"erased": len(found), "open_when_erased": sum(1 for _, status in found if status in OPEN)},
            "report_figures_kept": kept,
            "hubspot": hubspot.as_json() if hubspot is not None else "off",
            "earlier_erasures": [utc_iso(row["at"]) for row in before],
        }
        receipt = Receipt(data, 0, now, tuple(h for h, _ in found), active_at, bool(hubspot and hubspot.pending))
        receipt.log_id = await asyncio.to_thread(self._log, receipt, requested_by, hubspot, before if crm else [])
        return receipt

    def _erase_here(self, subject: Subject, now: float) -> tuple[Any, list, float | None, int, dict[str, int]]:
        """In one transaction: what HubSpot holds (from our ledger), the handoffs, the last activity, the report's
        figures kept, then every row deleted."""
        from bot.report import keep_figures

        with self.engine.begin() as db:
            crm = self._crm_holdings(db, subject)
            found = db.execute(sa.select(handoffs.c.id, handoffs.c.status).where(
                handoffs.c.conversation_id == subject.conversation_id)).all()
            active_at = (db.execute(sa.select(sa.func.max(EVENTS.c.timestamp)).where(
                EVENTS.c.sender_id == subject.conversation_id)).scalar() if EVENTS.name in present(db) else None)
            kept = keep_figures(db, [subject.conversation_id], now)
            return crm, found, active_at, kept, erase_rows(db, subject)

    def _log(self, receipt: Receipt, requested_by: str, hubspot: Any, earlier: list[dict[str, Any]]) -> int:
        """Keep the receipt in the erasure log; earlier rows' HubSpot leftovers are this row's now."""
        with self.engine.begin() as db:
            log_id = db.execute(erasures.insert().values(
                kind="forget", at=receipt.at, requested_by=requested_by[:64], contact_hash=receipt.data["contact_hash"],
                handoff_ids=" ".join(receipt.handoff_ids) or None, receipt=receipt.data,
                hubspot_pending=hubspot.pending if hubspot is not None else None)).inserted_primary_key[0]
            if earlier:
                db.execute(erasures.update().where(erasures.c.id.in_([r["id"] for r in earlier]))
                           .values(hubspot_pending=None))
        return int(log_id)

    def _crm_holdings(self, db, subject: Subject):
        if self.hubspot is None:
            return None
        from bot.crm import crm_holdings

        return crm_holdings(db, subject.conversation_id, subject.channel, self.crm_config)

    def sweep(self, subject: Subject, receipt: Receipt) -> int:
        """Delete what a turn running during the erasure wrote back (its session's events, rows of the erased
        handoffs), keeping a conversation the customer began since; the count is added to the logged receipt."""
        with self.engine.begin() as db:
            swept = erase_rows(db, subject, before=receipt.at, handoff_ids=receipt.handoff_ids)
            total = sum(swept.values())
            if total:
                receipt.data["swept_after_a_running_turn"] = {t: n for t, n in swept.items() if n}
                receipt.data["rows_deleted"] += total
                db.execute(erasures.update().where(erasures.c.id == receipt.log_id).values(receipt=receipt.data))
        return total

    def erased(self, handoff_id: str) -> dict[str, Any] | None:
        """When and by whom a handoff was erased with its customer's data ({"at", "requested_by"}), else None."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(erasures.c.at, erasures.c.requested_by, erasures.c.handoff_ids).where(
                erasures.c.kind == "forget", erasures.c.handoff_ids.contains(handoff_id))
                .order_by(erasures.c.id.desc())).first()
        if row is None or handoff_id not in (row.handoff_ids or "").split():
            return None
        return {"at": row.at, "requested_by": row.requested_by}

    async def aclose(self) -> None:
        if self.hubspot is not None:
            await self.hubspot.aclose()



def open_eraser(settings: Any, engine: Engine, crm: Any) -> Eraser:
    """The eraser for this environment: HubSpot too when HUBSPOT_ACCESS_TOKEN is set (`settings.hubspot`, and
    assistant.yml's `crm:` section `crm` as the CRM sync reads them)."""
    hubspot = settings.hubspot
    if not hubspot.on:
        return Eraser(engine)
    from bot.vendors import HubSpotClient

    client = HubSpotClient(hubspot.access_token, hubspot.api_base or None, max_per_s=crm.max_requests_per_s)
    return Eraser(engine, client, crm)
