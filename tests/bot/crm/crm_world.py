"""Conversations recorded through Rasa's real tracker store and bot/store's tables, plus a CRM sync against a fake HubSpot."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crm.sync import CrmConfig, CrmSync, status
from bot.vendors.hubspot_api import HubSpotClient
from bot.messaging.store import handoffs, open_database, surveys
from bot.messaging.tracker_store import URLTrackerStore
from tests.conftest import PROJECT_DIR

TOKEN = "pat-test-0000"
FAST = CrmConfig(idle_timeout_s=60, poll_interval_s=0.05, close_grace_s=0.5, retry_failed_after_s=0.5, search_settle_s=0.2)


class World:
    """One SQLite database holding the tracker store and Frontdesk's tables."""

    def __init__(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'frontdesk.db'}"
        self.engine = open_database(self.url)
        self.domain = Domain.load(str(PROJECT_DIR / "domain.yml"))
        self.trackers = URLTrackerStore(self.domain, host=self.url)

    async def _tracker(self, sender: str) -> DialogueStateTracker | None:
        tracker = self.trackers.retrieve(sender)
        return await tracker if inspect.isawaitable(tracker) else tracker

    async def events_of(self, sender: str) -> list[dict]:
        """The sender's tracker events as Rasa's JSON (what the action server sees)."""
        tracker = await self._tracker(sender)
        return [event.as_dict() for event in tracker.events] if tracker else []

    async def record(self, sender: str, events: list[Event]) -> None:
        tracker = await self._tracker(sender)
        if tracker is None:
            tracker = DialogueStateTracker(sender, self.domain.slots)
        for event in events:
            tracker.update(event)
        saved = self.trackers.save(tracker)
        if inspect.isawaitable(saved):
            await saved

    async def conversation(self, sender: str, channel: str, start: float, turns: list[tuple[str, list[Event]]],
                           name: str | None = None, new_session: bool = True) -> float:
        """A session: the customer's messages, each followed by the events the assistant recorded.
        Events are one second apart from `start`; returns the time of the last one."""
        t = start
        events: list[Event] = []
        if new_session:
            events += [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t),
                       ActionExecuted("action_listen", timestamp=t)]
        for text, replies in turns:
            t += 1
            events.append(UserUttered(text, {"name": "ask", "confidence": 1.0}, timestamp=t, input_channel=channel,
                                      metadata={"name": name} if name else {}))
            for reply in replies:
                reply.timestamp = t + 0.1
                events.append(reply)
            events.append(ActionExecuted("action_listen", timestamp=t + 0.2))
        await self.record(sender, events)
        return t + 0.2

    def handoff(self, sender: str, channel: str, at: float, reason: str = "request", name: str | None = None,
                summary: dict | None = None) -> str:
        handoff_id = uuid.uuid4().hex
        with self.engine.begin() as db:
            db.execute(handoffs.insert().values(
                id=handoff_id, conversation_id=sender, channel=channel, recipient=sender, customer_name=name,
                reason=reason, status="waiting", created_at=at, summary=summary or {"question": "Can I freeze my membership?"},
                updated_at=at))
        return handoff_id

    def resolve(self, handoff_id: str, agent: str, at: float) -> None:
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(
                status="resolved", agent=agent, claimed_at=at - 1, closed_at=at, updated_at=at))

    def survey(self, sender: str, channel: str, kind: str, score: int, at: float) -> None:
        with self.engine.begin() as db:
            db.execute(surveys.insert().values(conversation_id=sender, channel=channel, kind=kind, score=score, created_at=at))

    def crm(self, api_url: str, config: CrmConfig = FAST) -> CrmSync:
        return CrmSync(self.engine, HubSpotClient(TOKEN, api_url), config)

    def status(self) -> dict:
        return status(self.engine)

    def hubspot_jobs(self) -> dict[str, int]:
        with self.engine.connect() as db:
            return dict(db.execute(sa.text(
                "SELECT status, count(*) FROM frontdesk_outbox WHERE channel = 'hubspot' GROUP BY status")).all())


async def sync_until_settled(*syncs: CrmSync, timeout: float = 30.0) -> None:
    """Scan and send (with several instances at once, if given) until nothing is pending or waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await asyncio.gather(*(sync.drain_once() for sync in syncs))  # scans, then sends what is due
        state = status(syncs[0].scanner.engine)
        if state["pending"] == 0 and state["failed"] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the CRM sync did not settle in {timeout} s: {status(syncs[0].scanner.engine)}")


def answered(entry: str, text: str = "Here is how that works.") -> list[Event]:
    return [SlotSet("kb_decision", "answer"), SlotSet("kb_answered", entry), BotUttered(text)]


def closed() -> list[Event]:
    return [BotUttered("Goodbye, and thank you for contacting S-Club!"), SlotSet("conversation_closed", True)]


def agent_says(text: str, agent: str, handoff_id: str, at: float) -> list[Event]:
    return [BotUttered(text, metadata={"agent": agent, "handoff_id": handoff_id}, timestamp=at)]
