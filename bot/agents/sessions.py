"""Desk sessions: the random id in an agent's desk cookie, stored only as its sha256 in `frontdesk_agent_sessions`.

A session belongs to an agent's name and lasts AGENT_SESSION_HOURS. It is
read on every request together with the agent's account, so logging out,
revoking the agent or giving them a new token ends it at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.agents.accounts import Agent, AgentAccounts, AgentError
from bot.messaging.store import agent_sessions

KEEP_OLD_S = 7 * 86400  # ended and expired sessions are deleted this long after


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class DeskSessions:
    def __init__(self, engine: Engine, accounts: AgentAccounts, hours: float = 12.0) -> None:
        self.engine = engine
        self.accounts = accounts
        self.lifetime_s = hours * 3600

    def start(self, agent: Agent, now: float | None = None) -> str:
        """A new session for `agent`; returns the id for the cookie (shown once, stored hashed).

        Side effect: deletes sessions that ended or expired more than a week ago.
        """
        now = time.time() if now is None else now
        session_id = secrets.token_urlsafe(32)
        c = agent_sessions.c
        with self.engine.begin() as db:
            db.execute(agent_sessions.delete().where(sa.or_(c.expires_at < now - KEEP_OLD_S, c.ended_at < now - KEEP_OLD_S)))
            db.execute(agent_sessions.insert().values(id_hash=_digest(session_id), agent=agent.key, created_at=now,
                                                      expires_at=now + self.lifetime_s))
        return session_id

    def agent_for(self, session_id: str, now: float | None = None) -> Agent:
        """The active agent whose live session this is; 401 with the reason (unknown, ended, expired, revoked)."""
        now = time.time() if now is None else now
        if not session_id:
            raise AgentError("not logged in", 401)
        with self.engine.connect() as db:
            row = db.execute(sa.select(agent_sessions).where(
                agent_sessions.c.id_hash == _digest(session_id))).mappings().first()
        if row is None:
            raise AgentError("unknown desk session: log in again", 401)
        if row["ended_at"] is not None:
            raise AgentError("this desk session has ended: log in again", 401)
        if row["expires_at"] <= now:
            raise AgentError("your desk session has expired: log in again", 401)
        agent = self.accounts.active(row["agent"])
        if agent is None:
            raise AgentError("this agent account has been revoked", 401)
        return agent

    def end(self, session_id: str, now: float | None = None) -> None:
        """Log out: the session stops working (nothing happens for an unknown id)."""
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            db.execute(agent_sessions.update().where(agent_sessions.c.id_hash == _digest(session_id),
                                                     agent_sessions.c.ended_at.is_(None)).values(ended_at=now))
