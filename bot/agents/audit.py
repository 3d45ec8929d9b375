"""The agents' audit log (`frontdesk_agent_audit`): who viewed, claimed, replied to, reassigned, released and
resolved which handoff, and which lead erased its customer's data (forget), and when; also logins, logouts and
failed logins.

Rows carry names, handoff ids, short details and the client's address, never
message text or credentials. The desk page polls a handoff every 2 s, so a
view is recorded once per agent and handoff every `VIEW_EVERY_S`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.messaging.store import agent_audit

ACTIONS = ("view", "claim", "reply", "assign", "release", "resolve", "forget", "login", "logout", "login_failed",
           "link_entry", "kb_approve", "kb_reject")  # the last three: the knowledge base's suggestions (bot/learn)
VIEW_EVERY_S = 600.0


@dataclass(frozen=True)
class AuditEntry:
    at: float
    agent: str | None
    action: str
    handoff_id: str | None
    detail: str | None
    address: str | None

    def line(self) -> str:
        """One line for a terminal: UTC time, agent, action, handoff, detail, address."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.at))
        return "  ".join([when, f"{self.agent or '-':<16}", f"{self.action:<12}", f"{self.handoff_id or '-':<32}",
                          self.detail or "", f"from {self.address}" if self.address else ""]).rstrip()


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, action: str, agent: str | None, handoff_id: str | None = None, detail: str | None = None,
               address: str | None = None, now: float | None = None) -> None:
        """Append one row (`detail` is cut to 128 characters)."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}")
        with self.engine.begin() as db:
            db.execute(agent_audit.insert().values(at=time.time() if now is None else now, agent=agent, action=action,
                                                   handoff_id=handoff_id, detail=(detail or None) and detail[:128],
                                                   address=(address or None) and address[:64]))

    def record_view(self, agent: str, handoff_id: str, address: str | None = None, now: float | None = None) -> bool:
        """Record that `agent` viewed the handoff, unless they did within VIEW_EVERY_S; True when recorded."""
        now = time.time() if now is None else now
        c = agent_audit.c
        with self.engine.connect() as db:
            recent = db.execute(sa.select(c.id).where(c.agent == agent, c.handoff_id == handoff_id, c.action == "view",
                                                      c.at > now - VIEW_EVERY_S).limit(1)).first()
        if recent is not None:
            return False
        self.record("view", agent, handoff_id, address=address, now=now)
        return True

    def since(self, since: float) -> list[AuditEntry]:
        """Entries from `since` (Unix seconds) on, oldest first."""
        c = agent_audit.c
        with self.engine.connect() as db:
            rows = db.execute(sa.select(c.at, c.agent, c.action, c.handoff_id, c.detail, c.address)
                              .where(c.at >= since).order_by(c.at, c.id)).all()
        return [AuditEntry(*row) for row in rows]
