"""Handoff records: the `frontdesk_handoffs` and `frontdesk_handoff_messages` tables.

Every method is one short transaction against DATABASE_URL, so several
Rasa server instances (and the action server) share the same queue. State
changes are conditional updates (claim only what is waiting, close only what
is open), which makes them safe when two agents click at the same moment.
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.errors import RefusedError
from bot.privacy import mask_secrets
from bot.messaging.store import handoff_messages, handoffs

OPEN = ("waiting", "claimed")
AUTHORS = ("customer", "agent", "bot", "system")
REASONS = ("request", "frustration", "failures", "abuse")


class HandoffError(RefusedError):
    """A handoff operation cannot be done; `status` is the HTTP status an API answers with."""


@dataclass(frozen=True)
class Handoff:
    id: str
    conversation_id: str
    channel: str
    recipient: str | None
    customer_name: str | None
    reason: str
    status: str
    agent: str | None
    created_at: float
    claimed_at: float | None
    first_agent_reply_at: float | None
    closed_at: float | None
    summary: dict[str, Any]
    updated_at: float
    customer_updated_at: float | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class HandoffMessage:
    id: int
    handoff_id: str
    author: str
    agent: str | None
    text: str
    created_at: float
    buttons: list[dict[str, str]] | None = None  # what a notice offers (the survey's scale after a resolve)

    def as_json(self) -> dict[str, Any]:
        data = {"id": self.id, "author": self.author, "agent": self.agent, "text": self.text, "at": self.created_at}
        return data | ({"buttons": self.buttons} if self.buttons else {})


def _handoff(row: Any) -> Handoff:
    return Handoff(**{column.name: row[column.name] for column in handoffs.columns})


def _message(row: Any) -> HandoffMessage:
    return HandoffMessage(row["id"], row["handoff_id"], row["author"], row["agent"], row["text"], row["created_at"],
                          row["buttons"] or None)


class HandoffStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- creating and reading ---

    def create(self, conversation_id: str, channel: str, recipient: str | None, customer_name: str | None,
               reason: str, summary: dict[str, Any], now: float | None = None) -> tuple[Handoff, bool]:
        """A new waiting handoff and True; or the conversation's open one and False (never two open)."""
        if reason not in REASONS:
            raise HandoffError(f"reason must be one of {', '.join(REASONS)}", 400)
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            existing = db.execute(sa.select(handoffs).where(
                handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN))).mappings().first()
            if existing is not None:
                return _handoff(existing), False
            values = dict(id=uuid.uuid4().hex, conversation_id=conversation_id, channel=channel, recipient=recipient,
                          customer_name=customer_name, reason=reason, status="waiting", created_at=now,
                          summary=summary, updated_at=now)
            db.execute(handoffs.insert().values(**values))
            row = db.execute(sa.select(handoffs).where(handoffs.c.id == values["id"])).mappings().one()
        return _handoff(row), True

    def get(self, handoff_id: str) -> Handoff:
        with self.engine.connect() as db:
            row = db.execute(sa.select(handoffs).where(handoffs.c.id == handoff_id)).mappings().first()
        if row is None:
            raise HandoffError(f"no handoff {handoff_id!r}", 404)
        return _handoff(row)

    def open_for(self, conversation_id: str) -> Handoff | None:
        """The conversation's waiting or claimed handoff, if any."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(handoffs).where(
                handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN))
                .order_by(handoffs.c.created_at.desc())).mappings().first()
        return _handoff(row) if row is not None else None

    def listing(self, statuses: tuple[str, ...] = OPEN, limit: int = 200, tests: bool = False) -> list[Handoff]:
        """`page`'s handoffs without its `more`."""
        return self.page(statuses, limit, tests)[0]

    def page(self, statuses: tuple[str, ...] = OPEN, limit: int = 200, tests: bool = False) -> tuple[list[Handoff], bool]:
        """Up to `limit` handoffs in these statuses, and whether more match. Open ones oldest first (the queue
        order); when closed ones are asked for, newest first (the recent history is what is looked for). Those
        opened by test conversations (summary `test`, from `frontdesk test-conversations`) only with `tests`;
        they never take the place of a real one in the page."""
        newest_first = any(status not in OPEN for status in statuses)
        order = (handoffs.c.created_at.desc(), handoffs.c.id.desc()) if newest_first else (handoffs.c.created_at, handoffs.c.id)
        query = sa.select(handoffs).where(handoffs.c.status.in_(statuses)).order_by(*order)
        found: list[Handoff] = []
        offset, batch = 0, limit + 1
        with self.engine.connect() as db:
            while len(found) <= limit:
                rows = db.execute(query.offset(offset).limit(batch)).mappings().all()
                found += [h for h in map(_handoff, rows) if tests or not h.summary.get("test")]
                if len(rows) < batch:
                    break
                offset, batch = offset + batch, batch * 2
        return found[:limit], len(found) > limit

    # --- messages ---

    def append(self, handoff_id: str, author: str, text: str, agent: str | None = None,
               message_id: str | None = None, now: float | None = None,
               buttons: list[dict[str, str]] | None = None) -> HandoffMessage | None:
        """Store a message (secrets masked) and the buttons it offers; a customer message with a `message_id`
        already stored is skipped (None)."""
        if author not in AUTHORS:
            raise ValueError(f"author must be one of {AUTHORS}")
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            if message_id is not None and db.execute(sa.select(handoff_messages.c.id).where(
                    handoff_messages.c.handoff_id == handoff_id, handoff_messages.c.message_id == message_id)).first():
                return None
            result = db.execute(handoff_messages.insert().values(
                handoff_id=handoff_id, author=author, agent=agent, text=mask_secrets(text).text,
                created_at=now, message_id=message_id, buttons=buttons or None))
            new_id = int(result.inserted_primary_key[0])
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(updated_at=now))
            row = db.execute(sa.select(handoff_messages).where(handoff_messages.c.id == new_id)).mappings().one()
        return _message(row)

    def customer_message(self, conversation_id: str, text: str, message_id: str | None,
                         received_at: float | None = None) -> HandoffMessage | None:
        """Append a customer's message to the conversation's open handoff, unless it is already in the
        summary (the message that triggered it) or stored; None when there is no open handoff."""
        handoff = self.open_for(conversation_id)
        if handoff is None or (message_id and message_id in handoff.summary.get("message_ids", [])):
            return None
        return self.append(handoff.id, "customer", text, message_id=message_id, now=received_at)

    def messages(self, handoff_id: str, after_id: int = 0) -> list[HandoffMessage]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(handoff_messages).where(
                handoff_messages.c.handoff_id == handoff_id, handoff_messages.c.id > after_id)
                .order_by(handoff_messages.c.id)).mappings().all()
        return [_message(r) for r in rows]

    def messages_for_customer(self, conversation_id: str, after_id: int = 0) -> list[HandoffMessage]:
        """What agents and Frontdesk's notices said to this customer outside a Rasa turn (for channels that poll)."""
        query = (sa.select(handoff_messages).join(handoffs, handoffs.c.id == handoff_messages.c.handoff_id)
                 .where(handoffs.c.conversation_id == conversation_id, handoff_messages.c.id > after_id,
                        handoff_messages.c.author.in_(("agent", "system")))
                 .order_by(handoff_messages.c.id))
        with self.engine.connect() as db:
            return [_message(r) for r in db.execute(query).mappings().all()]

    def last_message_id(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.max(handoff_messages.c.id))).scalar() or 0)

    # --- state changes ---

    def claim(self, handoff_id: str, agent: str, now: float | None = None) -> Handoff:
        """Give a waiting handoff to `agent` (claiming one's own again is fine); 409 if another agent has it."""
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            updated = db.execute(handoffs.update().where(
                handoffs.c.id == handoff_id, handoffs.c.status == "waiting").values(
                status="claimed", agent=agent, claimed_at=now, updated_at=now)).rowcount
        current = self.get(handoff_id)
        if updated == 1 or (current.status == "claimed" and current.agent == agent):
            return current
        if current.status == "claimed":
            raise HandoffError(f"already claimed by {current.agent}", 409)
        raise HandoffError(f"this handoff is {current.status}", 409)

    def assign(self, handoff_id: str, agent: str, now: float | None = None) -> tuple[Handoff, Handoff]:
        """Give an open handoff (waiting or claimed) to `agent`; returns (before, after). 409 when it is closed.

        A handoff that was waiting counts as claimed now; one reassigned keeps its first claim time.
        """
        now = time.time() if now is None else now
        before = self.get(handoff_id)
        with self.engine.begin() as db:
            updated = db.execute(handoffs.update().where(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN)).values(
                status="claimed", agent=agent, claimed_at=sa.func.coalesce(handoffs.c.claimed_at, now),
                updated_at=now)).rowcount
        current = self.get(handoff_id)
        if updated != 1:
            raise HandoffError(f"this handoff is {current.status}", 409)
        return before, current

    def note_agent_reply(self, handoff_id: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id, handoffs.c.first_agent_reply_at.is_(None))
                       .values(first_agent_reply_at=now))

    def close(self, handoff_id: str, status: str, now: float | None = None) -> Handoff:
        """Mark an open handoff `resolved` or `released`; 409 when it is already closed."""
        if status not in ("resolved", "released"):
            raise ValueError("status must be resolved or released")
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            updated = db.execute(handoffs.update().where(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN))
                                 .values(status=status, closed_at=now, updated_at=now)).rowcount
        current = self.get(handoff_id)
        if updated != 1:
            raise HandoffError(f"this handoff is already {current.status}", 409)
        return current

    def take_unclaimed_update(self, waited_s: float, now: float | None = None) -> list[Handoff]:
        """Waiting handoffs older than `waited_s` whose customer has not had an update yet; each is
        marked as updated here, so exactly one instance sends it."""
        now = time.time() if now is None else now
        with self.engine.connect() as db:
            due = [r["id"] for r in db.execute(sa.select(handoffs.c.id).where(
                handoffs.c.status == "waiting", handoffs.c.customer_updated_at.is_(None),
                handoffs.c.created_at <= now - waited_s)).mappings()]
        taken = []
        for handoff_id in due:
            with self.engine.begin() as db:
                if db.execute(handoffs.update().where(handoffs.c.id == handoff_id, handoffs.c.status == "waiting",
                                                      handoffs.c.customer_updated_at.is_(None))
                              .values(customer_updated_at=now)).rowcount == 1:
                    taken.append(handoff_id)
        return [self.get(h) for h in taken]

    # --- figures for the wait estimate ---

    def waiting_before(self, created_at: float) -> int:
        """How many handoffs are waiting that were created before `created_at` (ahead in the queue)."""
        with self.engine.connect() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(handoffs).where(
                handoffs.c.status == "waiting", handoffs.c.created_at < created_at)).scalar() or 0)

    def recent_handling_times(self, limit: int = 20) -> list[float]:
        """Seconds from claim to close of the most recent resolved handoffs."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(handoffs.c.claimed_at, handoffs.c.closed_at).where(
                handoffs.c.status == "resolved", handoffs.c.claimed_at.is_not(None), handoffs.c.closed_at.is_not(None))
                .order_by(handoffs.c.closed_at.desc()).limit(limit)).all()
        return [closed - claimed for claimed, closed in rows if closed >= claimed]


def median_or_none(values: list[float], minimum: int = 3) -> float | None:
    """The median when there are at least `minimum` values (fewer say too little to promise anything)."""
    return statistics.median(values) if len(values) >= minimum else None
