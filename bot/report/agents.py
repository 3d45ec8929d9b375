"""Per-agent figures for the service report: handoffs claimed and first replies, from the handoff records.

Counted over the handoffs created in the period. "Claimed" goes to the agent
holding the handoff (after a lead's reassignment, the new agent); a "first
reply" goes to whoever wrote the handoff's first agent message. Names are
as stored: desk accounts, or Telegram names from the agents' group.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.messaging import store
from bot.errors import ReportError


def agent_activity(reader, start: float, end: float) -> dict[str, dict[str, int]]:
    """{agent name: {"claimed": n, "first_replies": n}}, by name; {} without handoff tables.

    `reader` is the report's RecordReader (its engine and the tables it found).
    """
    handoffs, messages = store.handoffs, store.handoff_messages
    if handoffs.name not in reader.tables or messages.name not in reader.tables:
        return {}
    period = sa.and_(handoffs.c.created_at >= start, handoffs.c.created_at < end)
    claimed = (sa.select(handoffs.c.agent, sa.func.count())
               .where(period, handoffs.c.claimed_at.is_not(None), handoffs.c.agent.is_not(None))
               .group_by(handoffs.c.agent))
    first = (sa.select(messages.c.handoff_id, sa.func.min(messages.c.id).label("first_id"))
             .where(messages.c.author == "agent").group_by(messages.c.handoff_id).subquery())
    replies = (sa.select(messages.c.agent, sa.func.count())
               .select_from(first.join(messages, messages.c.id == first.c.first_id)
                            .join(handoffs, handoffs.c.id == first.c.handoff_id))
               .where(period, messages.c.agent.is_not(None)).group_by(messages.c.agent))
    found: dict[str, dict[str, int]] = {}
    try:
        with reader.engine.connect() as db:
            for key, query in (("claimed", claimed), ("first_replies", replies)):
                for name, count in db.execute(query):
                    found.setdefault(name, {"claimed": 0, "first_replies": 0})[key] = int(count)
    except sa.exc.SQLAlchemyError as error:
        raise ReportError(f"cannot read the handoff records at {reader.shown_url}: {type(error).__name__}") from None
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))
