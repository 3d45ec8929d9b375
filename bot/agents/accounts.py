"""Agent accounts: rows of `frontdesk_agents`, tokens `<key id>.<secret>` checked with bcrypt, AGENT_TOKEN's lead.

A token is shown once, when it is made (`add`, `reset`); the database keeps
its public key id (to find the row) and a bcrypt hash of the secret part,
never the token. A successful bcrypt check is remembered in memory, keyed by
(sha256 of the token, the stored hash), so API calls don't pay bcrypt each
time; the row is still read on every request, so a revoke or a reset (which
changes the stored hash and key id) counts from the very next request.

AGENT_TOKEN, when set, is a `lead` account named AGENT_NAME that is not
stored: it works while the variable is set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import bcrypt
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.errors import RefusedError
from bot.config import AGENT_NAME_PATTERN
from bot.messaging.store import agent_sessions, agents

ROLES = ("agent", "lead")
BCRYPT_ROUNDS = 12  # about 0.3 s a check on a small server: cheap once per login, ruinous for guessing
CACHE_SIZE = 512


class AgentError(RefusedError):
    """An account operation or a credential is refused; `status` is the HTTP status an API answers with
    (400 bad name or role, 401 bad credential, 403 not allowed, 404 unknown agent, 409 duplicate)."""


@dataclass(frozen=True)
class Agent:
    name: str
    role: str
    created_at: float | None = None
    token_issued_at: float | None = None
    revoked_at: float | None = None
    from_env: bool = False  # AGENT_TOKEN's lead: not stored, works while the variable is set

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def key(self) -> str:
        return self.name.lower()


def _agent(row: Any) -> Agent:
    return Agent(row["name"], row["role"], row["created_at"], row["token_issued_at"], row["revoked_at"])


def check_name(name: str) -> str:
    """`name` if it is a valid agent name, else 400."""
    if not AGENT_NAME_PATTERN.fullmatch(name or ""):
        raise AgentError(f"{name!r} is not a valid agent name: a letter, then up to 31 letters, digits, "
                         "'.', '_' or '-'", 400)
    return name


class AgentAccounts:
    """The accounts in the database at `engine`, plus AGENT_TOKEN's lead when `env_token` is set."""

    def __init__(self, engine: Engine, env_token: str = "", env_name: str = "lead",
                 rounds: int = BCRYPT_ROUNDS) -> None:
        self.engine = engine
        self.env_token = env_token
        self.env_agent = Agent(env_name, "lead", from_env=True) if env_token else None
        self.rounds = rounds
        self._checked: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    # --- managing accounts (the `frontdesk agents` command) ---

    def add(self, name: str, role: str = "agent", now: float | None = None) -> tuple[Agent, str]:
        """Store a new active account; returns it and its token (shown once). 400 bad name/role, 409 taken."""
        check_name(name)
        if role not in ROLES:
            raise AgentError(f"role must be one of {', '.join(ROLES)}", 400)
        if self.env_agent is not None and name.lower() == self.env_agent.key:
            raise AgentError(f"{name} is AGENT_TOKEN's account (AGENT_NAME): choose another name", 409)
        now = time.time() if now is None else now
        key_id, secret, token = self._new_token()
        try:
            with self.engine.begin() as db:
                db.execute(agents.insert().values(name=name, name_key=name.lower(), role=role, key_id=key_id,
                                                  secret_hash=self._hash(secret), created_at=now, token_issued_at=now))
        except sa.exc.IntegrityError:
            existing = self.get(name)
            hint = f" (revoked: `frontdesk agents reset {existing.name}` gives it a new token)" if not existing.active else ""
            raise AgentError(f"an agent named {existing.name} already exists{hint}", 409) from None
        return self.get(name), token

    def reset(self, name: str, now: float | None = None) -> tuple[Agent, str]:
        """Give the account a new token (and reactivate it if revoked): the old token and every desk session
        of the agent stop working at once. 404 for an unknown name, 409 for AGENT_TOKEN's account."""
        agent = self._stored(name)
        now = time.time() if now is None else now
        key_id, secret, token = self._new_token()
        with self.engine.begin() as db:
            db.execute(agents.update().where(agents.c.name_key == agent.key).values(
                key_id=key_id, secret_hash=self._hash(secret), token_issued_at=now, revoked_at=None))
            self._end_sessions(db, agent.key, now)
        return self.get(name), token

    def revoke(self, name: str, now: float | None = None) -> Agent:
        """Switch the account off: its token and its desk sessions stop working at once. 404 unknown name,
        409 already revoked or AGENT_TOKEN's account."""
        agent = self._stored(name)
        if not agent.active:
            raise AgentError(f"{agent.name} is already revoked", 409)
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            db.execute(agents.update().where(agents.c.name_key == agent.key).values(revoked_at=now))
            self._end_sessions(db, agent.key, now)
        return self.get(name)

    def _stored(self, name: str) -> Agent:
        agent = self.get(name)
        if agent.from_env:
            raise AgentError(f"{agent.name} is AGENT_TOKEN's account: change or unset AGENT_TOKEN instead", 409)
        return agent

    @staticmethod
    def _end_sessions(db: Any, key: str, now: float) -> None:
        db.execute(agent_sessions.update().where(agent_sessions.c.agent == key, agent_sessions.c.ended_at.is_(None))
                   .values(ended_at=now))

    # --- reading ---

    def get(self, name: str) -> Agent:
        """The stored account named `name` (any case), active or not; 404 when there is none."""
        if self.env_agent is not None and name.lower() == self.env_agent.key:
            return self.env_agent
        with self.engine.connect() as db:
            row = db.execute(sa.select(agents).where(agents.c.name_key == name.lower())).mappings().first()
        if row is None:
            raise AgentError(f"no agent named {name!r}", 404)
        return _agent(row)

    def active(self, name: str) -> Agent | None:
        """The account named `name` if it exists and is not revoked."""
        try:
            agent = self.get(name)
        except AgentError:
            return None
        return agent if agent.active else None

    def listing(self) -> list[Agent]:
        """Every account, AGENT_TOKEN's first, then by name."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(agents).order_by(agents.c.name_key)).mappings().all()
        return ([self.env_agent] if self.env_agent else []) + [_agent(r) for r in rows]

    def any_active(self) -> bool:
        """True when someone can sign in to the desk (AGENT_TOKEN is set or an account is active)."""
        if self.env_agent is not None:
            return True
        with self.engine.connect() as db:
            return db.execute(sa.select(agents.c.id).where(agents.c.revoked_at.is_(None)).limit(1)).first() is not None

    # --- checking a token (every API request, every login) ---

    def authenticate(self, token: str) -> Agent:
        """The active account whose token this is; 401 with a one-line reason otherwise.

        Blocking (bcrypt): call it in a thread from async code.
        """
        token = (token or "").strip()
        if not token:
            raise AgentError("missing agent token", 401)
        if self.env_agent is not None and hmac.compare_digest(token.encode(), self.env_token.encode()):
            return self.env_agent
        key_id, _, secret = token.partition(".")
        if not key_id or not secret or len(key_id) > 16:
            raise AgentError("wrong agent token", 401)
        with self.engine.connect() as db:
            row = db.execute(sa.select(agents).where(agents.c.key_id == key_id)).mappings().first()
        if row is None or not self._matches(token, secret, row["secret_hash"]):
            raise AgentError("wrong or replaced agent token", 401)
        if row["revoked_at"] is not None:
            raise AgentError(f"the agent account {row['name']} has been revoked", 401)
        return _agent(row)

    def _matches(self, token: str, secret: str, stored: str) -> bool:
        key = (hashlib.sha256(token.encode()).hexdigest(), stored)
        with self._lock:
            if key in self._checked:
                return True
        if not bcrypt.checkpw(secret.encode(), stored.encode()):
            return False
        with self._lock:
            if len(self._checked) >= CACHE_SIZE:
                self._checked.clear()
            self._checked[key] = True
        return True

    def _hash(self, secret: str) -> str:
        return bcrypt.hashpw(secret.encode(), bcrypt.gensalt(self.rounds)).decode()

    @staticmethod
    def _new_token() -> tuple[str, str, str]:
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        return key_id, secret, f"{key_id}.{secret}"
