"""Where one conversation ends and the next begins, read from the real tracker store; and the CRM settings."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from rasa.shared.core.events import ActiveLoop, BotUttered, SlotSet

from bot.ops.channels_config import crm_line, enabled_channels
from bot.config import AssistantConfig, CrmConfig, section
from bot.crm.records import HandoffSpan, build_record, load_events, split
from bot.errors import ConfigError
from bot.config.settings import Settings
from tests.bot.crm.crm_world import World, answered, closed
from tests.conftest import PROJECT_DIR


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def segments(world: World, sender: str, now: float, idle_s: float = 60, handoffs: list[HandoffSpan] | None = None):
    return split(sender, load_events(world.engine, sender), handoffs or [], now, idle_s, grace_s=1.0)


def test_a_silence_longer_than_the_idle_timeout_ends_a_conversation(world: World) -> None:
    start = time.time() - 1000
    end = asyncio.run(world.conversation("a", "rest", start, [("first question", answered("x"))]))
    asyncio.run(world.conversation("a", "rest", end + 100, [("later question", answered("y"))], new_session=False))
    first, second = segments(world, "a", now=end + 100 + 5)
    assert first.end_reason == "idle" and second.end_reason is None  # the second is still going
    assert [e.data.get("text") for e in second.events if e.type == "user"] == ["later question"]
    [_, second] = segments(world, "a", now=end + 100 + 120)
    assert second.end_reason == "idle"


def test_a_closed_conversation_ends_once_the_closing_turn_is_over(world: World) -> None:
    start = time.time() - 30
    last = asyncio.run(world.conversation("b", "rest", start, [("hours?", answered("hours")), ("bye", closed())]))
    [still_closing] = segments(world, "b", now=last + 0.5)
    assert still_closing.end_reason is None
    [ended] = segments(world, "b", now=last + 2)
    assert ended.end_reason == "closed"
    asyncio.run(world.conversation("b", "rest", last + 3, [("one more thing", [])], new_session=False))
    first, second = segments(world, "b", now=last + 4)
    assert first.end_reason == "closed" and second.end_reason is None and second.first_id > first.last_id


def test_a_new_session_starts_a_new_conversation_and_silent_ones_do_not_count(world: World) -> None:
    start = time.time() - 100
    end = asyncio.run(world.conversation("c", "rest", start, [("hello", [])]))
    asyncio.run(world.conversation("c", "rest", end + 5, []))  # a session the customer never spoke in
    first, second = segments(world, "c", now=end + 10)
    assert first.end_reason == "new_session" and first.customer_spoke and not second.customer_spoke


def test_a_resolved_handoff_ends_the_conversation(world: World) -> None:
    start = time.time() - 50
    end = asyncio.run(world.conversation("d", "telegram", start, [("a person please", [])]))
    [going] = segments(world, "d", now=end + 2)
    assert going.end_reason is None
    [ended] = segments(world, "d", now=end + 3, handoffs=[HandoffSpan(end, end + 1, resolved=True)])
    assert ended.end_reason == "resolved"


def rating(kind: str, score: int, done: bool = False) -> list:
    """What feedback_form records for an answer to its `kind` question (the last one: `done`)."""
    return [SlotSet(f"feedback_{kind}", score), SlotSet(f"feedback_{kind}", "rated"), SlotSet(kind, score)] + (
        [ActiveLoop(None), BotUttered("Thank you for your feedback")] if done else [])


def test_the_survey_after_a_resolved_handoff_stays_with_it_and_a_new_question_starts_anew(world: World) -> None:
    start = time.time() - 60
    end = asyncio.run(world.conversation("r", "telegram", start, [("a person please", [])]))
    resolved = [HandoffSpan(end, end + 1, resolved=True)]
    asyncio.run(world.record("r", [BotUttered("Dana has marked your conversation as resolved. How would you rate ...?",
                                              timestamp=end + 1.5), ActiveLoop("feedback_form", timestamp=end + 1.5)]))
    [waiting] = segments(world, "r", now=end + 10, handoffs=resolved)
    assert waiting.end_reason is None  # the survey is open: wait for the customer's answer
    last = asyncio.run(world.conversation("r", "telegram", end + 20, [("5", rating("csat", 5, done=True)),
                                                                    ("and parking?", answered("parking"))],
                                          new_session=False))
    first, second = segments(world, "r", now=last + 0.5, handoffs=resolved)
    assert first.end_reason == "resolved" and second.end_reason is None
    assert [e.data["text"] for e in first.events if e.type == "user"] == ["a person please", "5"]
    assert [e.data["text"] for e in second.events if e.type == "user"] == ["and parking?"]


def test_a_customer_waiting_for_a_person_is_not_idle(world: World) -> None:
    start = time.time() - 5000
    end = asyncio.run(world.conversation("w", "telegram", start, [("a person please", [])]))
    waiting = [HandoffSpan(end, None, resolved=False)]
    [going] = segments(world, "w", now=end + 1000, handoffs=waiting)
    assert going.end_reason is None  # an hour of waiting is not the customer going quiet
    asyncio.run(world.conversation("w", "telegram", end + 2000, [("still there?", [])], new_session=False))
    [going] = segments(world, "w", now=end + 2001, handoffs=waiting)
    assert going.end_reason is None and len([e for e in going.events if e.type == "user"]) == 2
    released = [HandoffSpan(end, end + 2100, resolved=False)]  # given back to the bot, then quiet
    [going] = segments(world, "w", now=end + 2150, handoffs=released)
    assert going.end_reason is None
    [ended] = segments(world, "w", now=end + 2100 + 61, handoffs=released)
    assert ended.end_reason == "idle"


def test_the_record_gathers_questions_answers_name_and_ratings(world: World) -> None:
    start = time.time() - 100
    end = asyncio.run(world.conversation("e", "telegram", start, [
        ("hi", [SlotSet("customer_name", "Eve")]),
        ("can I bring a guest?", answered("guest-passes")),
        ("/choose_entry{\"kb_entry\": \"guest-passes\"}", answered("guest-passes")),
        ("that did not help", [SlotSet("answer_helped", False)]),
    ]))
    world.survey("e", "telegram", "nps", 7, end)
    [segment] = segments(world, "e", now=end + 100)
    record = build_record(world.engine, "e", segment.first_id, segment.last_id, "idle")
    assert (record.channel, record.name, record.questions, record.kb_answered) == (
        "telegram", "Eve", ["can I bring a guest?"], ["guest-passes"])
    assert record.nps == 7 and record.csat is None and record.outcome == "answered, but the customer said it did not help"


def test_crm_settings_come_from_assistant_yml() -> None:
    assert AssistantConfig.load(PROJECT_DIR / "assistant.yml").crm.idle_timeout_s == 1800
    assert section("crm", {"idle_timeout_s": 2, "ticket_closed_stage": 7}) == CrmConfig(idle_timeout_s=2.0,
                                                                                        ticket_closed_stage="7")
    with pytest.raises(ConfigError, match="crm.idle_timeout: unknown setting .did you mean idle_timeout_s"):
        section("crm", {"idle_timeout": 2})


def test_the_crm_sync_is_on_only_with_a_token(tmp_path: Path) -> None:
    off = Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path)})
    on = Settings.from_env({"FRONTDESK_STATE_DIR": str(tmp_path), "HUBSPOT_ACCESS_TOKEN": "pat-x"})
    assert "channels.crm.CrmSyncInput" not in enabled_channels(off)
    assert "channels.crm.CrmSyncInput" in enabled_channels(on)
    assert crm_line(off).startswith("off (set HUBSPOT_ACCESS_TOKEN") and crm_line(on).startswith("on")
