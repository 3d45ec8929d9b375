"""The report's figures for conversations whose records are gone, kept in `frontdesk_daily_summary`.

Before an erasure or the retention purge (bot/privacy) deletes a customer's
records, `keep_figures` reduces them as the report does (records.py) and keeps
only anonymous facts, per UTC day and channel:

- per conversation: its start (to the minute), a random customer token (one
  per customer and archiving, so the report still counts people), seconds to
  the first reply, to an agent's first reply and to the resolution, how it was
  resolved, whether it was handed over (each handoff's reason, status and
  times), the knowledge-base decisions and the entries answered;
- per survey question: kind, score (None: skipped) and time, never the comment;
- per handoff: who claimed it and who replied first (agents' names).

`read_archive` turns them back into the report's `Conversation` and `Survey`
objects, so `frontdesk report` computes the same figures for a purged period
as it did before. Content gaps (the customers' own words) are not kept.
"""

from __future__ import annotations

import math
import secrets
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.messaging.store import daily_summary, handoff_messages, handoffs, surveys
from bot.report.records import Conversation, Handoff, Survey, attach_handoffs, events, reduce_session, split_sessions

DAY_S = 86400.0


def _minute(ts: float) -> float:
    return math.floor(ts / 60.0) * 60.0


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).date().isoformat()


def _after(value: float | None, start: float) -> float | None:
    return None if value is None else value - start


def _at(offset: float | None, start: float) -> float | None:
    return None if offset is None else start + offset


def conversation_facts(conv: Conversation, customer: str) -> dict[str, Any]:
    """One conversation as anonymous facts: times relative to its start, the start to the minute."""
    start = conv.started_at
    return {
        "customer": customer, "at": _minute(start), "first_reply": _after(conv.first_reply_at, start),
        "agent_reply": _after(conv.agent_reply_at, start), "resolved": _after(conv.resolved_at, start),
        "resolved_by": conv.resolved_by, "handed_over": conv.handed_over, "decisions": list(conv.decisions),
        "answered": list(conv.answered),
        "handoffs": [{"reason": h.reason, "status": h.status, "created": h.created_at - start,
                      "claimed": _after(h.claimed_at, start), "first_agent_reply": _after(h.first_agent_reply_at, start),
                      "closed": _after(h.closed_at, start)} for h in conv.handoffs],
    }


def conversation_from_facts(facts: dict[str, Any], channel: str) -> Conversation:
    at = facts["at"]
    conv = Conversation(f"archived:{facts['customer']}", opened_at=at, started_at=at, channel=channel,
                        first_reply_at=_at(facts["first_reply"], at), agent_reply_at=_at(facts["agent_reply"], at),
                        resolved_at=_at(facts["resolved"], at), resolved_by=facts["resolved_by"],
                        decisions=list(facts["decisions"]), answered=list(facts["answered"]))
    conv.handoffs = [Handoff("", conv.conversation_id, h["reason"], h["status"], at + h["created"], _at(h["claimed"], at),
                             _at(h["first_agent_reply"], at), _at(h["closed"], at)) for h in facts["handoffs"]]
    conv.paused = bool(facts["handed_over"]) and not conv.handoffs  # handed over as only the tracker showed it
    return conv


def _conversations(db: Connection, conversation_id: str, with_events: bool) -> list[Conversation]:
    c, h = events.c, handoffs.c
    rows = db.execute(sa.select(c.sender_id, c.type_name, c.timestamp, c.action_name, c.data)
                      .where(c.sender_id == conversation_id).order_by(c.id)).all() if with_events else []
    convs = [conv for conv in (reduce_session(conversation_id, s) for s in split_sessions(rows)) if conv is not None]
    rows = db.execute(sa.select(h.id, h.conversation_id, h.reason, h.status, h.created_at, h.claimed_at,
                                h.first_agent_reply_at, h.closed_at)
                      .where(h.conversation_id == conversation_id).order_by(h.created_at)).all()
    attach_handoffs(convs, [Handoff(*row) for row in rows])
    return convs


def _handoff_facts(db: Connection, conversation_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(channel, {"at", "claimed_by", "first_reply_by"}) per handoff, for the per-agent figures."""
    h, m = handoffs.c, handoff_messages.c
    first = (sa.select(m.agent).where(m.handoff_id == h.id, m.author == "agent").order_by(m.id).limit(1)
             .scalar_subquery())
    rows = db.execute(sa.select(h.channel, h.created_at, h.claimed_at, h.agent, first)
                      .where(h.conversation_id == conversation_id)).all()
    return [(channel, {"at": _minute(created), "claimed_by": agent if claimed is not None else None,
                       "first_reply_by": replier}) for channel, created, claimed, agent, replier in rows]


def keep_figures(db: Connection, conversation_ids: Iterable[str], now: float | None = None) -> int:
    """Add the figures of these conversations' records to `frontdesk_daily_summary`, in the caller's transaction
    (so they are kept exactly when the records are deleted); returns how many conversations were kept."""
    now = time.time() if now is None else now
    with_events = sa.inspect(db).has_table(events.name)
    buckets: dict[tuple[str, str], dict[str, list]] = defaultdict(
        lambda: {"conversations": [], "surveys": [], "handoffs": []})
    kept = 0
    for conversation_id in conversation_ids:
        customer = secrets.token_hex(8)  # random: says nothing about who, only that it was one customer
        for conv in _conversations(db, conversation_id, with_events):
            buckets[(_day(conv.started_at), conv.channel)]["conversations"].append(conversation_facts(conv, customer))
            kept += 1
        for channel, kind, score, created in db.execute(sa.select(
                surveys.c.channel, surveys.c.kind, surveys.c.score, surveys.c.created_at)
                .where(surveys.c.conversation_id == conversation_id)):
            buckets[(_day(created), channel)]["surveys"].append({"kind": kind, "score": score, "at": _minute(created)})
        for channel, facts in _handoff_facts(db, conversation_id):
            buckets[(_day(facts["at"]), channel)]["handoffs"].append(facts)
    for (day, channel), added in buckets.items():
        _merge(db, day, channel, added, now)
    return kept


def _merge(db: Connection, day: str, channel: str, added: dict[str, list], now: float) -> None:
    key = sa.and_(daily_summary.c.day == day, daily_summary.c.channel == channel)
    row = db.execute(sa.select(daily_summary.c.facts).where(key)).first()
    facts = {name: list((row.facts if row else {}).get(name, [])) + items for name, items in added.items()}
    convs = facts["conversations"]
    counts = {"conversations": len(convs), "handed_over": sum(1 for c in convs if c["handed_over"]),
              "resolved": sum(1 for c in convs if c["resolved"] is not None),
              "survey_answers": sum(1 for s in facts["surveys"] if s["score"] is not None)}
    if row is None:
        db.execute(daily_summary.insert().values(day=day, channel=channel, facts=facts, updated_at=now, **counts))
    else:
        db.execute(daily_summary.update().where(key).values(facts=facts, updated_at=now, **counts))


@dataclass
class Archived:
    """What the summary holds for a period, as the report reads records."""

    conversations: list[Conversation] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    agents: dict[str, dict[str, int]] = field(default_factory=dict)


def read_archive(db: Connection, start: float, end: float) -> Archived:
    """The archived conversations that started, survey answers given and handoffs opened in [start, end)."""
    found = Archived()
    rows = db.execute(sa.select(daily_summary.c.channel, daily_summary.c.facts).where(
        daily_summary.c.day.between(_day(start - DAY_S), _day(end + DAY_S)))
        .order_by(daily_summary.c.day, daily_summary.c.channel)).all()
    for channel, facts in rows:
        found.conversations += [conversation_from_facts(c, channel) for c in facts.get("conversations", [])
                                if start <= c["at"] < end]
        found.surveys += [Survey("archived", channel, s["kind"], s["score"], s["at"]) for s in facts.get("surveys", [])
                          if start <= s["at"] < end]
        for h in facts.get("handoffs", []):
            if start <= h["at"] < end:
                for key, name in (("claimed", h["claimed_by"]), ("first_replies", h["first_reply_by"])):
                    if name:
                        found.agents.setdefault(name, {"claimed": 0, "first_replies": 0})[key] += 1
    return found


def merge_agents(*figures: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per-agent figures added up, by name (case-insensitive order, as agent_activity gives them)."""
    total: dict[str, dict[str, int]] = {}
    for part in figures:
        for name, counts in part.items():
            mine = total.setdefault(name, {"claimed": 0, "first_replies": 0})
            for key, value in counts.items():
                mine[key] = mine.get(key, 0) + value
    return dict(sorted(total.items(), key=lambda item: item[0].lower()))
