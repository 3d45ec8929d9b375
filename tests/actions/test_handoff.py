"""Handing over (actions/handoff.py) from action_answer_faq, where the rule sends every request_human,
on trackers from JSON, with a real desk on a temporary SQLite database."""

import json

import pytest
from rasa_sdk.executor import CollectingDispatcher

from dataclasses import replace

from actions.faq import ActionAnswerFaq
from bot.handoff import HandoffDesk
from bot.messaging import open_database
from bot.ops import ActionServices
from tests.actions.conftest import action_settings, tracker
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def served(tmp_path, services):
    """The action's services for an environment with an agent desk (or none: pass env={}), with a database
    and handoff desk of the test's own; the knowledge base and the models are the session's."""
    def configure(env: dict[str, str]) -> ActionServices:
        settings = action_settings(tmp_path, **env)
        engine = open_database(settings.database_url)
        desk = HandoffDesk.configured(engine, settings.handoff, services.config, services.responses)
        return replace(services, settings=settings, engine=engine, desk=desk)
    return configure


async def run(services: ActionServices, t):
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFaq(services).run(dispatcher, t, {})
    return dispatcher.messages, events


async def test_asking_for_a_person_stores_a_masked_summary_and_pauses(served) -> None:
    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    messages, events = await run(ours, tracker("asks_for_a_person_after_an_answer"))
    assert "person on the S-Club team" in messages[0]["text"]
    assert [e["event"] for e in events] == ["slot", "slot", "pause"]
    handoff_id = events[0]["value"]
    assert events[0]["name"] == "handoff_id" and events[1] == {"event": "slot", "name": "handoff_reason", "value": None,
                                                               "timestamp": None}
    stored = ours.desk.store.get(handoff_id)
    assert (stored.status, stored.reason, stored.channel, stored.recipient) == ("waiting", "request", "telegram", "ana-handoff")
    summary = stored.summary
    assert "4111" not in json.dumps(summary) and "[card number removed]" in summary["key_messages"][0]
    assert summary["trigger_messages"] == ["this is ridiculous, I want to talk to a human"]
    assert summary["understood"][0]["entries"][0]["title"] == "Cancel your membership"
    assert summary["message_ids"] == ["m1", "m2", "m3"]
    assert summary["customer"] == {"name": "Ana", "channel": "telegram", "contact": "••••••••off"}


async def test_the_reason_set_by_another_feature_is_recorded(served) -> None:
    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    t = tracker("asks_for_a_person_after_an_answer", slots={"handoff_reason": "frustration", "customer_name": "Ana"})
    _, events = await run(ours, t)
    stored = ours.desk.store.get(events[0]["value"])
    assert stored.reason == "frustration"
    # the frustrated messages, scored by the real frustration model; the greeting is not one of them
    assert "this is ridiculous, I want to talk to a human" in stored.summary["trigger_messages"]
    assert "hi" not in stored.summary["trigger_messages"]


async def test_asking_twice_keeps_one_open_handoff(served) -> None:
    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    _, first = await run(ours, tracker("asks_for_a_person_after_an_answer"))
    _, second = await run(ours, tracker("asks_for_a_person_after_an_answer"))
    assert first[0]["value"] == second[0]["value"] and len(ours.desk.store.listing()) == 1


async def test_without_anyone_to_take_over_the_customer_gets_contact_details_and_the_bot_stays(served) -> None:
    ours = served({})
    messages, events = await run(ours, tracker("asks_for_a_person_after_an_answer"))
    assert messages[0]["text"].startswith("Of course. You can reach S-Club's team by phone on +44 20 7946 0000")
    assert all(e["event"] != "pause" for e in events) and ours.desk.store.listing() == []


async def test_an_agent_account_in_the_database_is_someone_to_take_over(served) -> None:
    from bot.agents import AgentAccounts

    ours = served({})  # nothing in the environment
    AgentAccounts(ours.desk.store.engine, rounds=4).add("Bob")
    messages, events = await run(ours, tracker("asks_for_a_person_after_an_answer"))
    assert "person on the S-Club team" in messages[0]["text"] and events[-1]["event"] == "pause"


def nlu_says(text: str, intent: str = "request_human", confidence: float = 0.9) -> dict:
    """The handoff tracker with its latest message replaced: the NLU's `intent` at `confidence` for `text`."""
    state = json.loads((PROJECT_DIR / "tests" / "actions" / "trackers" / "asks_for_a_person_after_an_answer.json").read_text())
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": []}
    state["latest_message"] = {"text": text, **parse, "message_id": "m3"}
    state["events"][-1] = {**state["events"][-1], "text": text, "parse_data": parse}
    return state


async def test_a_message_the_nlu_takes_for_a_request_but_worded_like_none_is_answered_not_handed_over(served) -> None:
    from rasa_sdk import Tracker

    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    messages, events = await run(ours, Tracker.from_dict(nlu_says("what time does the pool open on sunday")))
    assert ours.desk.store.listing() == [] and "pause" not in [e["event"] for e in events]
    assert messages and "person on the S-Club team" not in messages[0].get("text", "")
    # Worded as a request, the same NLU result hands over.
    _, events = await run(ours, Tracker.from_dict(nlu_says("could I speak with someone from your team please")))
    assert events[-1]["event"] == "pause" and len(ours.desk.store.listing()) == 1


async def test_the_talk_to_a_person_button_hands_over(served) -> None:
    from rasa_sdk import Tracker

    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    _, events = await run(ours, Tracker.from_dict(nlu_says("/request_human", confidence=1.0)))
    assert events[-1]["event"] == "pause" and ours.desk.store.listing()[0].reason == "request"


async def test_below_the_rules_confidence_a_request_must_name_a_person(served) -> None:
    from rasa_sdk import Tracker

    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    # Rasa's FallbackClassifier turned a 0.4 request_human into nlu_fallback; the detection reads past it
    unsure = {"name": "nlu_fallback", "confidence": 0.45}
    state = nlu_says("I need to speak to someone about my bill")
    state["latest_message"]["intent"] = unsure
    state["latest_message"]["intent_ranking"] = [unsure, {"name": "request_human", "confidence": 0.4}]
    state["events"][-1]["parse_data"] = state["latest_message"]
    _, events = await run(ours, Tracker.from_dict(state))
    assert events[-1]["event"] == "pause" and len(ours.desk.store.listing()) == 1


async def test_taking_the_offer_of_a_person_hands_over_for_the_offers_reason(served) -> None:
    from rasa_sdk import Tracker

    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    state = nlu_says("ok then", confidence=0.6)  # not worded as a request, but the answer to the offer
    state["slots"]["handoff_reason"] = "failures"
    _, events = await run(ours, Tracker.from_dict(state))
    assert events[-1]["event"] == "pause" and ours.desk.store.listing()[0].reason == "failures"


async def test_a_calm_request_in_words_after_a_frustration_offer_is_a_request(served) -> None:
    from rasa_sdk import Tracker

    ours = served({"AGENT_TOKEN": "a-long-agent-token-1234"})
    state = nlu_says("Can I just talk to a real person please", confidence=0.95)
    state["slots"]["handoff_reason"] = "frustration"
    _, events = await run(ours, Tracker.from_dict(state))
    handoff = ours.desk.store.listing()[0]
    assert events[-1]["event"] == "pause" and handoff.reason == "request"
    assert handoff.summary["reason_text"] == "the customer asked for a person"
