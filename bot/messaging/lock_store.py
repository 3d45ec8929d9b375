"""Rasa's lock store for Frontdesk: one turn per conversation at a time, across every instance, in arrival order.

endpoints.yml names `TurnLockStore` with `url: ${REDIS_URL}`. Without a URL it is Rasa's in-process lock
(one instance). With one, each turn takes a Redis lock: a random token per turn (only its holder can
renew or release it), an expiry renewed while the turn runs (an instance that dies holds a conversation
for at most `lock_s`), and a queue per conversation ordered by a counter, so turns run in the order
they asked. Every step is one Lua script, so no two instances can both see the lock free. Rasa Open
Source's own `RedisLockStore` reads, changes and writes its ticket list in three commands, and two
instances asking at once can both be served (RasaHQ/rasa#9213; tests/bot/messaging/test_lock_store.py
shows it). The Redis client is the blocking one, called from a worker thread: turns run on more than one
event loop in this process (bot/messaging/loop.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore

logger = logging.getLogger(__name__)

LOCK_S = 10.0  # a holder's lock lapses this long after its last renewal (an instance killed mid-turn)
WAITER_S = 3.0  # a waiter that has not polled for this long is dropped from the queue
POLL_S = 0.01
KEYS_S = 3600  # the queue and counter of a quiet conversation go after this long
PREFIX = "frontdesk:turn:"

_NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS: queue, waiters, counter. ARGV: token, waiter ms, keys ms. Joins the queue; returns the place number.
ENQUEUE = _NOW + """
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], n, ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return n
"""

# KEYS: lock, queue, waiters. ARGV: token, lock ms, waiter ms, keys ms.
# 1: taken; 0: not yet (still queued, heartbeat renewed); -1: no longer queued (dropped as gone).
TRY = _NOW + """
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, t in ipairs(gone) do redis.call('ZREM', KEYS[2], t); redis.call('ZREM', KEYS[3], t) end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return -1 end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('ZRANGE', KEYS[2], 0, 0)[1] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1]); redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[4]); redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1
"""

# KEYS: lock. ARGV: token, lock ms. 1 when still ours (expiry renewed), else 0.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

# KEYS: lock, queue, waiters. ARGV: token. Lets go of the lock if ours, and leaves the queue.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1]); redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""


class RedisTurnLock:
    """The per-conversation lock on Redis; `async with turn_lock.hold(conversation_id): ...`."""

    def __init__(self, url: str, lock_s: float = LOCK_S, waiter_s: float = WAITER_S, poll_s: float = POLL_S,
                 prefix: str = PREFIX) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
        self.lock_ms, self.waiter_ms, self.keys_ms = int(lock_s * 1000), int(waiter_s * 1000), KEYS_S * 1000
        self.poll_s = poll_s
        self.prefix = prefix
        self._enqueue, self._try = self.redis.register_script(ENQUEUE), self.redis.register_script(TRY)
        self._renew, self._release = self.redis.register_script(RENEW), self.redis.register_script(RELEASE)

    def ping(self) -> None:
        """Raises redis's ConnectionError when the server cannot be reached."""
        self.redis.ping()

    def _keys(self, conversation_id: str) -> tuple[str, str, str, str]:
        base = f"{self.prefix}{{{conversation_id}}}"  # one hash slot per conversation (Redis Cluster)
        return f"{base}:lock", f"{base}:queue", f"{base}:waiters", f"{base}:counter"

    def _join(self, keys: tuple[str, str, str, str], token: str) -> int:
        return int(self._enqueue(keys=[keys[1], keys[2], keys[3]], args=[token, self.waiter_ms, self.keys_ms]))

    def _attempt(self, keys: tuple[str, str, str, str], token: str) -> int:
        return int(self._try(keys=list(keys[:3]), args=[token, self.lock_ms, self.waiter_ms, self.keys_ms]))

    @asynccontextmanager
    async def hold(self, conversation_id: str, wait_s: float = 60.0) -> AsyncIterator[None]:
        """Wait for this conversation's earlier turns (on any instance), hold the lock while the block runs,
        renewing it, then let the next one go. LockError after `wait_s` without the lock."""
        keys, token = self._keys(conversation_id), uuid.uuid4().hex
        deadline = time.monotonic() + wait_s
        try:
            await asyncio.to_thread(self._join, keys, token)
            while (outcome := await asyncio.to_thread(self._attempt, keys, token)) != 1:
                if outcome == -1:  # this process stalled past WAITER_S and was dropped: queue again
                    logger.warning("turn lock: conversation %s: dropped from the queue, queueing again", conversation_id)
                    await asyncio.to_thread(self._join, keys, token)
                if time.monotonic() > deadline:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}' in {wait_s:.0f} s.")
                await asyncio.sleep(self.poll_s)
            renewing = asyncio.get_running_loop().create_task(self._keep(keys, token, conversation_id))
            try:
                yield
            finally:
                renewing.cancel()
        finally:
            await asyncio.shield(asyncio.to_thread(self._release, keys=list(keys[:3]), args=[token]))

    async def _keep(self, keys: tuple[str, str, str, str], token: str, conversation_id: str) -> None:
        while True:
            await asyncio.sleep(self.lock_ms / 3000)
            try:
                still = await asyncio.to_thread(self._renew, keys=[keys[0]], args=[token, self.lock_ms])
            except Exception as error:  # noqa: BLE001 - Redis briefly away: the next renewal may work
                logger.warning("turn lock: conversation %s: renewal failed: %s", conversation_id, type(error).__name__)
                continue
            if not still:
                logger.error("turn lock: conversation %s: the lock lapsed while its turn ran", conversation_id)
                return


class TurnLockStore(LockStore):
    """Rasa's `lock_store` (endpoints.yml): `RedisTurnLock` when `url` (REDIS_URL) is set, else Rasa's
    in-process lock. Rasa makes it with `endpoint_config=`."""

    def __init__(self, endpoint_config: Any = None, url: str | None = None, **kwargs: Any) -> None:
        url = url if url is not None else (getattr(endpoint_config, "url", None) or "")
        self.turn_lock = RedisTurnLock(url, **kwargs) if url.strip() else None
        self.local = InMemoryLockStore()
        super().__init__()

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = 60, wait_time_in_seconds: float = 1) -> AsyncIterator[Any]:
        if self.turn_lock is None:
            async with self.local.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as held:
                yield held
            return
        async with self.turn_lock.hold(conversation_id, wait_s=lock_lifetime):
            yield None
