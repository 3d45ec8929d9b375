"""Messages the assistant writes first, at a time: the `frontdesk_scheduled` table, durable and shared.

A scheduled message is stored `pending` with its due time, so it survives a restart. A worker claims what is
due with a lease (status `sending`, `due_at` = the lease's end) through a conditional update, so with several
instances on one database each message is taken by exactly one; a claim whose lease ran out (the process died)
is taken again. Then it is `sent`, `cancelled` (with the reason: no longer relevant), or put back `pending`
for later (quiet hours). A follow-up that was sent waits for the customer's answer (`answered`: yes, no, problem).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.messaging.store import scheduled

LEASE_S = 60.0


@dataclass(frozen=True)
class Scheduled:
    id: int
    kind: str
    conversation_id: str
    channel: str
    recipient: str | None
    handoff_id: str | None
    status: str
    due_at: float
    detail: dict[str, Any]
    created_at: float
    sent_at: float | None
    answer: str | None


def _row(row: Any) -> Scheduled:
    return Scheduled(row["id"], row["kind"], row["conversation_id"], row["channel"], row["recipient"], row["handoff_id"],
                     row["status"], row["due_at"], dict(row["detail"] or {}), row["created_at"], row["sent_at"],
                     row["answer"])


class Schedule:
    """The scheduled messages' table; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, kind: str, conversation_id: str, channel: str, recipient: str | None, due_at: float,
            detail: dict[str, Any], handoff_id: str | None = None, now: float | None = None) -> int | None:
        """Schedule a message; None when this handoff already has one of this kind (scheduled once)."""
        values = dict(kind=kind, conversation_id=conversation_id, channel=channel, recipient=recipient,
                      handoff_id=handoff_id, status="pending", due_at=due_at, detail=detail,
                      created_at=time.time() if now is None else now)
        same = sa.select(sa.func.count()).select_from(scheduled).where(scheduled.c.kind == kind,
                                                                         scheduled.c.handoff_id == handoff_id)
        with self.engine.begin() as db:
            if handoff_id is None or not db.execute(same).scalar():
                return int(db.execute(scheduled.insert().values(**values)).inserted_primary_key[0])
        return None

    def get(self, scheduled_id: int) -> Scheduled | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(scheduled).where(scheduled.c.id == scheduled_id)).mappings().first()
        return _row(row) if row is not None else None

    def claim_due(self, now: float | None = None, limit: int = 20, lease_s: float = LEASE_S) -> list[Scheduled]:
        """Take up to `limit` due messages (pending, or sending with an expired lease), oldest due first."""
        now = time.time() if now is None else now
        taken = []
        with self.engine.begin() as db:
            rows = db.execute(sa.select(scheduled.c.id, scheduled.c.due_at).where(
                scheduled.c.status.in_(("pending", "sending")), scheduled.c.due_at <= now)
                .order_by(scheduled.c.due_at).limit(limit)).all()
            for row_id, due_at in rows:
                if db.execute(scheduled.update().where(scheduled.c.id == row_id, scheduled.c.due_at == due_at,
                                                       scheduled.c.status.in_(("pending", "sending")))
                              .values(status="sending", due_at=now + lease_s)).rowcount == 1:
                    taken.append(row_id)
        return [found for found in map(self.get, taken) if found is not None]

    def _set(self, scheduled_id: int, only_from: tuple[str, ...], **values: Any) -> bool:
        with self.engine.begin() as db:
            return db.execute(scheduled.update().where(scheduled.c.id == scheduled_id, scheduled.c.status.in_(only_from))
                              .values(**values)).rowcount == 1

    def postpone(self, scheduled_id: int, due_at: float) -> bool:
        """Put a claimed message back for later (quiet hours)."""
        return self._set(scheduled_id, ("sending",), status="pending", due_at=due_at)

    def mark_sent(self, scheduled_id: int, now: float | None = None) -> bool:
        return self._set(scheduled_id, ("sending",), status="sent", sent_at=time.time() if now is None else now)

    def cancel(self, scheduled_id: int, reason: str) -> bool:
        """Cancel a message not yet sent (pending or claimed)."""
        return self._set(scheduled_id, ("pending", "sending"), status="cancelled", cancel_reason=reason[:32])

    def cancel_pending(self, conversation_id: str, reason: str, created_before: float | None = None) -> int:
        """Cancel this conversation's messages not yet sent (those scheduled before `created_before`, if given)."""
        where = [scheduled.c.conversation_id == conversation_id, scheduled.c.status == "pending"]
        if created_before is not None:
            where.append(scheduled.c.created_at < created_before)
        with self.engine.begin() as db:
            return db.execute(scheduled.update().where(*where).values(status="cancelled", cancel_reason=reason[:32])).rowcount

    def pending_for(self, conversation_id: str, kind: str) -> list[Scheduled]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(scheduled).where(
                scheduled.c.conversation_id == conversation_id, scheduled.c.kind == kind,
                scheduled.c.status.in_(("pending", "sending")))).mappings().all()
        return [_row(r) for r in rows]

    def awaiting_answer(self, conversation_id: str, kind: str, sent_after: float) -> Scheduled | None:
        """The conversation's latest message of `kind` sent after `sent_after` and not answered yet."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(scheduled).where(
                scheduled.c.conversation_id == conversation_id, scheduled.c.kind == kind,
                scheduled.c.status == "sent", scheduled.c.sent_at > sent_after)
                .order_by(scheduled.c.sent_at.desc())).mappings().first()
        return _row(row) if row is not None else None

    def answer(self, scheduled_id: int, answer: str, now: float | None = None) -> bool:
        return self._set(scheduled_id, ("sent",), status="answered", answer=answer[:16],
                         answered_at=time.time() if now is None else now)

    def latest_answered(self, conversation_id: str, kind: str, answers: tuple[str, ...], after: float) -> Scheduled | None:
        """The conversation's latest message of `kind` answered with one of `answers` after `after`."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(scheduled).where(
                scheduled.c.conversation_id == conversation_id, scheduled.c.kind == kind,
                scheduled.c.status == "answered", scheduled.c.answer.in_(answers), scheduled.c.answered_at > after)
                .order_by(scheduled.c.answered_at.desc())).mappings().first()
        return _row(row) if row is not None else None
