"""Runs the follow-up worker (bot/handoff/followup.py) inside the Rasa server, as a background task started with it.

Not a messaging channel: like the retention purge (channels/retention.py), this is how a worker lives and stops
with the assistant. It is always on (credentials.yml) and serves no route. Every instance runs one; the schedule's
leases make each follow-up go out once. The worker is the process's (bot/ops/rasa_process.py); it writes what it
sends into the conversation's tracker with this server's Rasa agent.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.handoff import FollowUpWorker, rasa_tracker_writer
from bot.ops import RasaServices, rasa_services

logger = logging.getLogger(__name__)


class FollowUpInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "follow_up"

    def __init__(self, worker: FollowUpWorker) -> None:
        self.worker = worker

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> FollowUpInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> FollowUpInput:
        return cls(services.follow_up_worker)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @hook.listener("after_server_start")
        async def start_worker(app, loop) -> None:
            def tracker_for():
                agent = getattr(app.ctx, "agent", None)
                return rasa_tracker_writer(agent) if agent is not None else None

            self.worker.tracker_for = tracker_for
            self.worker.start()
            logger.info("follow-ups: sent %g s after a resolve", self.worker.follow_ups.after_s)

        @hook.listener("before_server_stop")
        async def stop_worker(app, loop) -> None:
            await self.worker.stop()

        return hook
