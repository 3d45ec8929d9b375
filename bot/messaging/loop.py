"""The event loop where the Rasa server's webhook turns and sends run: the server's own loop, or with
FRONTDESK_TURN_THREAD=1 a daemon thread's loop. One per Rasa server process, built by its root
(bot/ops/rasa_process.py) and shared by every connector."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable

_logger = logging.getLogger(__name__)


class BackgroundLoop:
    def __init__(self, threaded: bool = False) -> None:
        self.threaded = threaded
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread (or adopt the running server loop); call from the server's loop."""
        with self._lock:
            if self.loop is not None:
                return
            if not self.threaded:
                self.loop = asyncio.get_running_loop()
                return
            self.loop = asyncio.new_event_loop()
            threading.Thread(target=self.loop.run_forever, name="frontdesk-turns", daemon=True).start()

    def call(self, callback: Callable[[], Any]) -> None:
        """Run `callback` on the background loop soon; safe from any thread."""
        assert self.loop is not None, "BackgroundLoop.start() first"
        self.loop.call_soon_threadsafe(callback)

    async def run(self, coroutine: Awaitable[Any]) -> Any:
        """Await `coroutine` on the background loop from the server's loop."""
        assert self.loop is not None, "BackgroundLoop.start() first"
        if self.loop is asyncio.get_running_loop():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))


class PeriodicTask:
    """A background job's task on the running loop: `start()` it (again is harmless), `await stop()` cancels it.
    Subclasses implement `async _run()`."""

    _task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=type(self).__name__)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        raise NotImplementedError

    @staticmethod
    async def repeat(step: Callable[[], Awaitable[Any]], every_s: float, what: str,
                     wake: asyncio.Event | None = None, logger: logging.Logger = _logger, first_after: float = 0.0) -> None:
        """Run `step` every `every_s` seconds (at once when `wake` is set) until cancelled, the first time after
        `first_after` seconds. A pass that raises is logged on `logger` (pass the caller's, so the message names
        its module) and the next one runs: the database may be away for a moment."""
        if first_after > 0:
            await asyncio.sleep(first_after)
        while True:
            try:
                await step()
            except Exception:
                logger.exception("%s: a pass failed", what)
            if wake is None:
                await asyncio.sleep(every_s)
                continue
            try:
                await asyncio.wait_for(wake.wait(), timeout=every_s)
            except asyncio.TimeoutError:
                pass
            wake.clear()
