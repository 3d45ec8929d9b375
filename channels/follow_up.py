"""Runs the follow-up worker (bot/handoff/followup.py) inside the Rasa server, as a background task started with it.

Not a messaging channel: like the retention purge (channels/retention.py), this is how a worker lives and stops
with the assistant. It is always on (credentials.yml) and serves no route. Every instance runs one; the schedule's
leases make each follow-up go out once. The worker is the process's (bot/ops/rasa_process.py); it writes what it
sends into the conversation's tracker with this server's Rasa agent.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.handoff import FollowUpWorker, rasa_tracker_writer
from bot.ops import RasaServices, rasa_services
from channels.background import worker_blueprint

logger = logging.getLogger(__name__)


class FollowUpInput(InputChannel):
    """The follow-up worker's connector: `from_services` hands it the process's worker."""

    def __init__(self, worker: FollowUpWorker) -> None:
        self.worker = worker

    @classmethod
    def name(cls) -> str:
        return "follow_up"

    @classmethod
    def from_services(cls, services: RasaServices) -> FollowUpInput:
        return cls(services.follow_up_worker)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> FollowUpInput:
        return cls.from_services(rasa_services())

    def start(self, app: Any) -> None:
        """Start sending; what is sent is written into trackers with this server's agent."""
        def tracker_for():
            agent = getattr(app.ctx, "agent", None)
            return rasa_tracker_writer(agent) if agent is not None else None

        self.worker.tracker_for = tracker_for
        self.worker.start()
        logger.info("follow-ups: sent %g s after a resolve", self.worker.follow_ups.after_s)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return worker_blueprint(self, self.start, self.worker.stop)
