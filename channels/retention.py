"""Runs the daily retention purge (bot/privacy/retention.py) inside the Rasa server, as a background task started with it.

Not a messaging channel: like the CRM sync (channels/crm.py), this is how a
worker lives and stops with the assistant. It is always on (credentials.yml),
serves no route, and purges at most once every `privacy.purge_every_h`
(assistant.yml, default 24) across every instance sharing DATABASE_URL. The worker is the
process's (bot/ops/rasa_process.py).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.ops import RasaServices, rasa_services
from bot.privacy import RetentionWorker

logger = logging.getLogger(__name__)


class RetentionInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "retention"

    def __init__(self, worker: RetentionWorker) -> None:
        self.worker = worker
        self.config = worker.config

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RetentionInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> RetentionInput:
        """The process's retention worker (assistant.yml's `privacy:` section)."""
        return cls(services.retention)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @hook.listener("after_server_start")
        async def start_worker(app, loop) -> None:
            self.worker.start()
            logger.info("retention: conversations quiet for %g days are purged every %g h",
                        self.config.retention_days, self.config.purge_every_h)

        @hook.listener("before_server_stop")
        async def stop_worker(app, loop) -> None:
            await self.worker.stop()

        return hook
