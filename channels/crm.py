"""Runs the HubSpot CRM sync (bot/crm/sync.py) inside the Rasa server, as a background task started with it.

Not a messaging channel: Rasa starts input channels with the server, so this
is how the sync worker lives and stops with the assistant. bot/ops/channels_config.py
switches it on when HUBSPOT_ACCESS_TOKEN is set. It reads the records the
conversation left in DATABASE_URL and never takes part in a conversation;
`GET /webhooks/crm/` answers a bare health check (no data).

Environment: HUBSPOT_ACCESS_TOKEN, HUBSPOT_API_BASE (optional, for tests), DATABASE_URL;
settings in assistant.yml's `crm:` section. The worker is the process's (bot/ops/rasa_process.py).
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.crm import CrmSync
from bot.ops import RasaServices, rasa_services

logger = logging.getLogger(__name__)


class CrmSyncInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "crm"

    def __init__(self, sync: CrmSync) -> None:
        self.sync = sync
        self.description = (f"HubSpot CRM sync on ({sync.client.base}; conversations end after "
                            f"{sync.config.idle_timeout_s:g} s idle)")

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> CrmSyncInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> CrmSyncInput:
        """The process's sync worker (ConfigError without HUBSPOT_ACCESS_TOKEN)."""
        return cls(services.crm_sync)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @hook.listener("after_server_start")
        async def start_sync(app, loop) -> None:
            self.sync.start()
            logger.info(self.description)

        @hook.listener("before_server_stop")
        async def stop_sync(app, loop) -> None:
            await self.sync.stop()

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        return hook
