"""Erasing a customer from HubSpot: the notes and tickets the CRM sync wrote about them, then the contact itself.

What we wrote is in `frontdesk_crm_sync` (bot/crm/sync.py): read it with
`crm_holdings` before Frontdesk's own rows go. Then `erase_from_hubspot` archives
our notes and tickets (a create whose answer was lost is found by its ref first),
finds the contact (our ledger's id, and a search by the property the sync files
them under: phone, Telegram id or chat id) and GDPR-deletes it, which HubSpot
does permanently, associations included. HubSpot keeps archived notes and
tickets in its recycle bin for 90 days. Whatever HubSpot did not do (a network
error, a 5xx, a refusal) is returned as `pending`: HubSpot ids only, so the
erasure log can keep it and a later run can finish it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.crm.sync import CrmConfig, contact_identity, ref_token
from bot.messaging import PermanentSendError, RetryableSendError
from bot.messaging.store import crm_sync
from bot.vendors import HubSpotClient

KINDS = ("notes", "tickets", "contacts")
SEARCHED_BY = {"notes": "hs_note_body", "tickets": "content"}


@dataclass
class CrmHoldings:
    """HubSpot objects to erase: ids by kind, refs of creates whose answer was lost, how to find the contact."""

    ids: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    lost: dict[str, list[str]] = field(default_factory=lambda: {"notes": [], "tickets": []})  # ref tokens
    identity: tuple[str, str] | None = None  # (contact property, value); None: search not needed or not possible

    def add(self, other: dict[str, list[str]] | None) -> None:
        """Add ids left over from an earlier erasure (the erasure log's `hubspot_pending`)."""
        for kind in KINDS:
            for object_id in (other or {}).get(kind, []):
                if object_id not in self.ids[kind]:
                    self.ids[kind].append(object_id)


def crm_holdings(db: Connection, conversation_id: str, channel: str, config: CrmConfig) -> CrmHoldings:
    """What the CRM sync wrote about this conversation, from `frontdesk_crm_sync` (read before its rows go)."""
    held = CrmHoldings(identity=contact_identity(conversation_id, channel, config))
    c = crm_sync.c
    if not sa.inspect(db).has_table(crm_sync.name):
        return held
    for key, kind, hubspot_id, attempted in db.execute(sa.select(c.key, c.kind, c.hubspot_id, c.attempted_at).where(
            c.conversation_id == conversation_id, c.kind.in_(("contact", "note", "ticket")))):
        plural = kind + "s"
        if hubspot_id:
            if hubspot_id not in held.ids[plural]:
                held.ids[plural].append(str(hubspot_id))
        elif attempted and plural in held.lost:
            held.lost[plural].append(ref_token(key))
    return held


@dataclass
class HubSpotErasure:
    """What HubSpot did: objects archived or deleted by kind, what was gone already, and what is left."""

    done: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in KINDS})
    gone: int = 0  # ids HubSpot no longer had
    pending: dict[str, list[str]] | None = None  # None: nothing left to do
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"notes_archived": self.done["notes"], "tickets_archived": self.done["tickets"],
                "contacts_gdpr_deleted": self.done["contacts"], "already_gone": self.gone,
                "status": "done" if self.pending is None else "incomplete",
                **({"error": self.error, "left": {k: len(v) for k, v in self.pending.items()}} if self.pending else {})}


async def erase_from_hubspot(client: HubSpotClient, held: CrmHoldings) -> HubSpotErasure:
    """Archive our notes and tickets about the customer, then GDPR-delete their contact; never raises for HubSpot's
    answers (they end up in `error` and `pending`)."""
    result = HubSpotErasure()
    todo = {kind: list(ids) for kind, ids in held.ids.items()}
    try:
        for kind, refs in held.lost.items():
            for ref in refs:
                found = await client.search(kind, SEARCHED_BY[kind], ref, "CONTAINS_TOKEN")
                todo[kind] += [str(o["id"]) for o in found if str(o["id"]) not in todo[kind]]
        if held.identity is not None:
            prop, value = held.identity
            found = await client.search("contacts", prop, value, "EQ")
            todo["contacts"] += [str(o["id"]) for o in found if str(o["id"]) not in todo["contacts"]]
        for kind in KINDS:  # notes and tickets first: the contact's GDPR delete drops the associations to them
            while todo[kind]:
                object_id = todo[kind][0]
                if kind == "contacts":
                    ok = await client.gdpr_delete_contact(object_id)
                else:
                    ok = await client.archive(kind, object_id)
                result.done[kind] += ok
                result.gone += not ok
                todo[kind].pop(0)
    except (RetryableSendError, PermanentSendError) as error:
        result.error = str(error)
        result.pending = {kind: ids for kind, ids in todo.items()}
    return result
