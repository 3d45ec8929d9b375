"""Conversations with known timestamps written through Rasa's real SQL tracker store, plus handoff and survey rows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.messaging import store
from bot.config.settings import Settings
from bot.messaging.tracker_store import URLTrackerStore
from tests.conftest import PROJECT_DIR

SLOTS = ["customer_name", "kb_decision", "kb_answered", "kb_offered", "answer_helped", "conversation_closed",
         "handoff_id", "csat", "nps"]


def utc(text: str) -> float:
    """'2026-06-01 10:00:00' (UTC) as Unix seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


class Script:
    """One sender's events, as the Rasa server and our actions write them."""

    def __init__(self, sender: str, channel: str) -> None:
        self.sender, self.channel = sender, channel
        self.events: list[Event] = []

    def session(self, at: float, carried: dict | None = None) -> Script:
        """A new session: action_session_start, session_started, carried-over slots, action_listen."""
        self.events += [ActionExecuted("action_session_start", timestamp=at), SessionStarted(timestamp=at)]
        self.events += [SlotSet(k, v, timestamp=at) for k, v in (carried or {}).items()]
        self.events.append(ActionExecuted("action_listen", timestamp=at))
        return self

    def user(self, at: float, text: str, intent: str = "faq", received: float | None = None) -> Script:
        """The customer's message as Rasa stamps it (`at`, after NLU); `received`: when it reached the server."""
        parse = {"intent": {"name": intent, "confidence": 0.99}, "entities": [], "text": text}
        metadata = {"name": "Sam"} if received is None else {"name": "Sam", "received_at": received}
        self.events.append(UserUttered(text, intent=parse["intent"], parse_data=parse, input_channel=self.channel,
                                       timestamp=at, metadata=metadata))
        return self

    def action(self, at: float, name: str) -> Script:
        self.events.append(ActionExecuted(name, timestamp=at))
        return self

    def bot(self, at: float, text: str = "Here you go.", agent: str | None = None, handoff: str | None = None) -> Script:
        metadata = {"agent": agent, "handoff_id": handoff} if agent else {}
        self.events.append(BotUttered(text, {"elements": None}, metadata=metadata, timestamp=at))
        return self

    def slot(self, at: float, name: str, value) -> Script:
        self.events.append(SlotSet(name, value, timestamp=at))
        return self

    def faq(self, at: float, text: str, decision: str, entry: str | None = None, reply_after: float = 1.0) -> Script:
        """The customer asks; action_answer_faq replies after `reply_after` seconds and records its decision."""
        done = at + reply_after
        self.user(at, text).action(at + 0.1, "action_answer_faq").bot(done)
        self.slot(done, "kb_decision", decision).slot(done, "kb_answered", entry if decision == "answer" else None)
        return self.action(done, "action_listen")

    def pause(self, at: float) -> Script:
        self.events.append(ConversationPaused(timestamp=at))
        return self


def save_trackers(url: str, scripts: list[Script]) -> None:
    """Save each script's tracker with Rasa's SQL tracker store (our URLTrackerStore)."""
    tracker_store = URLTrackerStore(host=url)
    slots = [AnySlot(name, mappings=[{"type": "custom"}]) for name in SLOTS]

    async def save_all() -> None:
        for script in scripts:
            await tracker_store.save(DialogueStateTracker.from_events(script.sender, script.events, slots=slots))

    asyncio.run(save_all())
    tracker_store.engine.dispose()


def add_handoff(engine, conversation_id: str, channel: str, reason: str, status: str, created_at: float,
                claimed_at: float | None = None, first_agent_reply_at: float | None = None,
                closed_at: float | None = None, handoff_id: str | None = None) -> str:
    handoff_id = handoff_id or uuid.uuid4().hex
    with engine.begin() as db:
        db.execute(store.handoffs.insert().values(
            id=handoff_id, conversation_id=conversation_id, channel=channel, reason=reason, status=status,
            agent="Priya" if claimed_at else None, created_at=created_at, claimed_at=claimed_at,
            first_agent_reply_at=first_agent_reply_at, closed_at=closed_at, summary={}, updated_at=created_at))
    return handoff_id


def add_survey(engine, conversation_id: str, channel: str, kind: str, score: int | None, created_at: float,
               handoff_id: str | None = None) -> None:
    with engine.begin() as db:
        db.execute(store.surveys.insert().values(conversation_id=conversation_id, channel=channel, kind=kind,
                                                 score=score, handoff_id=handoff_id, created_at=created_at))


def report_settings(state_dir: Path, database_url: str, assistant_file: Path | None = None) -> Settings:
    env = {"FRONTDESK_STATE_DIR": str(state_dir), "DATABASE_URL": database_url}
    if assistant_file is not None:
        env["ASSISTANT_FILE"] = str(assistant_file)
    return Settings.from_env(env=env, project_dir=PROJECT_DIR)


@pytest.fixture(scope="session")
def kb_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state folder for the session, so the knowledge base is embedded once."""
    return tmp_path_factory.mktemp("report-state")
