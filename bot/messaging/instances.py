"""The running instances of Frontdesk on one database (table `frontdesk_instances`).

`frontdesk run` registers its instance before starting its servers, renews the row every few seconds
while it runs and removes it when it stops; a row not renewed for `STALE_S` is an instance that died.
Several instances on one database need the shared per-conversation lock (REDIS_URL): without it two
messages of one conversation reaching two instances could interleave their turns in the tracker. So an
instance refuses to start, with one line saying why, when it or a live instance already there lacks it.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.errors import SetupError
from bot.messaging.store import instances

RENEW_S = 5.0
STALE_S = 20.0
REGISTER_LOCK = 0x496E7374  # "Inst"


@dataclass
class Instance:
    engine: Engine
    id: str
    address: str
    shared_lock: bool
    renewed_at: float = 0.0

    def renew(self, now: float | None = None) -> None:
        """Mark this instance alive (at most every RENEW_S); a failure is left to the next call."""
        now = time.time() if now is None else now
        if now - self.renewed_at < RENEW_S:
            return
        with self.engine.begin() as db:
            db.execute(instances.update().where(instances.c.id == self.id).values(seen_at=now))
        self.renewed_at = now

    def leave(self) -> None:
        with self.engine.begin() as db:
            db.execute(instances.delete().where(instances.c.id == self.id))


def describe(row) -> str:
    return f"{row['address']} on {row['host']} (pid {row['pid']})"


def _gone(row) -> bool:
    """An instance of this machine whose process no longer exists (killed, then restarted at once)."""
    if row["host"] != socket.gethostname()[:255]:
        return False
    try:
        os.kill(row["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def register(engine: Engine, address: str, shared_lock: bool, now: float | None = None) -> Instance:
    """Record this instance; SetupError when it would share the database with another instance while
    either of them runs without the shared lock (REDIS_URL)."""
    now = time.time() if now is None else now
    c = instances.c
    with engine.begin() as db:
        if engine.dialect.name == "postgresql":  # two instances starting at once take turns (SQLite: the write lock)
            db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTER_LOCK})
        db.execute(instances.delete().where(c.seen_at < now - STALE_S * 10))  # long dead: forget them
        live = [row for row in db.execute(sa.select(instances).where(c.seen_at >= now - STALE_S)
                                          .order_by(c.started_at)).mappings() if not _gone(row)]
        if live and not shared_lock:
            raise SetupError(
                f"another Frontdesk instance uses this database ({describe(live[0])}, seen "
                f"{now - live[0]['seen_at']:.0f} s ago): several instances need REDIS_URL for the per-conversation "
                "lock (deploy/README.md); set it on every instance, or stop the other one")
        unlocked = [row for row in live if not row["shared_lock"]]
        if unlocked:
            raise SetupError(
                f"another Frontdesk instance uses this database without REDIS_URL ({describe(unlocked[0])}): "
                "restart it with the same REDIS_URL first")
        instance = Instance(engine, uuid.uuid4().hex, address, shared_lock, renewed_at=now)
        db.execute(instances.insert().values(id=instance.id, host=socket.gethostname()[:255], address=address[:128],
                                             pid=os.getpid(), shared_lock=shared_lock, started_at=now, seen_at=now))
    return instance
