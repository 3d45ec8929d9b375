"""Issue 19.9: conversations played by `frontdesk test-conversations` are marked, kept off the queue and the report."""

from __future__ import annotations

import json
from types import SimpleNamespace

import httpx

from actions.handoff import is_test_conversation
from bot.handoff.store import HandoffStore
from bot.messaging.store import open_database
from bot.ops.testing.conversations import Step
from bot.ops.testing.runner import AssistantClient
from bot.report.records import reduce_session


def test_the_runner_marks_every_message_as_a_test() -> None:
    sent: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=[])

    client = AssistantClient("http://assistant", "token")
    client.http = httpx.Client(transport=httpx.MockTransport(answer))
    client.say("sender-1", Step(say="hi", channel="sms", profile_name=None, expect={}))
    assert sent[0]["metadata"] == {"channel": "sms", "test": True}


def test_a_handoff_from_a_test_conversation_is_recognised() -> None:
    assert is_test_conversation([{"event": "user", "text": "a person please", "metadata": {"test": True}}])
    assert not is_test_conversation([{"event": "user", "text": "a person please", "metadata": {"name": "Ana"}}])


def test_the_queue_leaves_out_test_handoffs_unless_asked(tmp_path) -> None:
    store = HandoffStore(open_database(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    store.create("real", "telegram", "42", "Ana", "request", {"message_ids": []}, now=1.0)
    store.create("played", "rest", "x", None, "request", {"message_ids": [], "test": True}, now=2.0)
    assert [h.conversation_id for h in store.listing()] == ["real"]
    assert [h.conversation_id for h in store.listing(tests=True)] == ["real", "played"]


def row(kind: str, data: dict, at: float) -> SimpleNamespace:
    return SimpleNamespace(type_name=kind, data=json.dumps(data), timestamp=at)


def test_the_report_leaves_out_test_conversations() -> None:
    customer = {"text": "hi", "input_channel": "rest", "metadata": {"name": "Ana"}}
    assert reduce_session("real", [row("user", customer, 1.0)]) is not None
    played = dict(customer, metadata={"channel": "rest", "test": True})
    assert reduce_session("played", [row("user", played, 1.0)]) is None
