"""The service report's figures for messages the assistant wrote first and messages WhatsApp's window held back.

Follow-ups (frontdesk_scheduled, kind follow_up) are counted by when they were sent: sent, answered, confirmed
resolved (answered yes), not sorted (no, or a problem told), and cancelled before sending (by reason, by when they
were due), and answers sent when the knowledge base had one at last (new_answer). WhatsApp's window (frontdesk_outbox, channel whatsapp) by when the message was written: how many
could not be delivered at first because the 24-hour window was closed (held: no template, or Twilio refused),
their share of the WhatsApp messages written, and how many went out later when the customer wrote again.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.errors import ReportError
from bot.messaging import store


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def outreach_figures(reader, start: float, end: float) -> dict:
    """{"follow_ups": {...}, "whatsapp_window": {...}}; zeros when the tables are not there."""
    scheduled, outbox = store.scheduled, store.outbox
    follow_ups = {"sent": 0, "answered": 0, "confirmed_resolved": 0, "not_sorted": 0, "cancelled": {}, "new_answers_sent": 0}
    window = {"messages": 0, "held": 0, "held_share": None, "delivered_later": 0, "still_held": 0, "reasons": {}}
    try:
        with reader.engine.connect() as db:
            if scheduled.name in reader.tables:
                c = scheduled.c
                sent = sa.and_(c.kind == "follow_up", c.sent_at >= start, c.sent_at < end)
                for status, answer, n in db.execute(sa.select(c.status, c.answer, sa.func.count()).where(sent)
                                                    .group_by(c.status, c.answer)):
                    follow_ups["sent"] += n
                    if status == "answered":
                        follow_ups["answered"] += n
                        follow_ups["confirmed_resolved" if answer == "yes" else "not_sorted"] += n
                follow_ups["new_answers_sent"] = int(db.execute(sa.select(sa.func.count()).where(
                    c.kind == "new_answer", c.sent_at >= start, c.sent_at < end)).scalar() or 0)
                cancelled = sa.and_(c.kind == "follow_up", c.status == "cancelled", c.due_at >= start, c.due_at < end)
                for reason, n in db.execute(sa.select(c.cancel_reason, sa.func.count()).where(cancelled)
                                            .group_by(c.cancel_reason)):
                    follow_ups["cancelled"][reason or "unknown"] = n
            if outbox.name in reader.tables:
                o = outbox.c
                written = sa.and_(o.channel == "whatsapp", o.created_at >= start, o.created_at < end)
                window["messages"] = int(db.execute(sa.select(sa.func.count()).where(written)).scalar() or 0)
                for status, reason, n in db.execute(sa.select(o.status, o.held_reason, sa.func.count())
                                                    .where(written, o.held_reason.is_not(None))
                                                    .group_by(o.status, o.held_reason)):
                    window["held"] += n
                    window["reasons"][reason] = window["reasons"].get(reason, 0) + n
                    if status == "sent":
                        window["delivered_later"] += n
                    elif status == "held":
                        window["still_held"] += n
    except sa.exc.SQLAlchemyError as error:
        raise ReportError(f"cannot read the follow-ups at {reader.shown_url}: {type(error).__name__}") from None
    window["held_share"] = _share(window["held"], window["messages"])
    follow_ups["answered_share"] = _share(follow_ups["answered"], follow_ups["sent"])
    follow_ups["confirmed_share"] = _share(follow_ups["confirmed_resolved"], follow_ups["sent"])
    return {"follow_ups": follow_ups, "whatsapp_window": window}
