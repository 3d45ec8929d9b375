"""The handoff desk on a real database and outbox: what the customer is told, what agents do, the webhook."""

import asyncio
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from bot.config import section
from bot.handoff.hours import TeamHours
from bot.handoff.service import HandoffDesk
from bot.handoff.store import HandoffError
from bot.handoff.summary import build_summary
from bot.handoff.webhook import SIGNATURE_HEADER, WebhookSender, body_bytes, signature, signature_is_valid
from bot.messaging.outbox import PermanentSendError, RetryableSendError
from bot.config.settings import HandoffSettings
from bot.messaging.store import open_database, outbox
from tests.conftest import project_responses
from tests.fakes.webhook_receiver import FakeWebhookReceiver

LONDON = ZoneInfo("Europe/London")
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=LONDON).timestamp()
SATURDAY_NIGHT = dt.datetime(2026, 11, 28, 22, 0, tzinfo=LONDON).timestamp()
HOURS = TeamHours.from_config(section("team", {"hours": {"monday": "08:00-20:00", "sunday": "09:00-17:00"},
                                              "unclaimed_update_after_s": 60}))


class Recorder:
    """Stands in for the Rasa tracker store: keeps what would be appended, per conversation."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict]] = {}

    async def __call__(self, conversation_id: str, events: list[dict]) -> None:
        self.events.setdefault(conversation_id, []).extend(events)


@pytest.fixture
def engine(tmp_path):
    return open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")


def make_desk(engine, **settings) -> tuple[HandoffDesk, Recorder]:
    recorder = Recorder()
    return HandoffDesk(engine, HandoffSettings(**settings), HOURS, project_responses(), tracker=recorder), recorder


def outbox_rows(engine) -> list[dict]:
    with engine.connect() as db:
        return [dict(r) for r in db.execute(outbox.select().order_by(outbox.c.id)).mappings()]


def test_open_hours_expectation_says_a_person_takes_over_and_is_honest_about_the_wait(engine) -> None:
    desk, _ = make_desk(engine, agent_token="x" * 16)
    handoff = desk.open("c1", "telegram", "42", "Ana", "request", {}, now=MONDAY_NOON)
    text = desk.expectation(handoff, MONDAY_NOON)
    assert "person on the S-Club team" in text and "can't tell exactly how long" in text
    for index in range(3):  # some history: 10 minutes per conversation
        done = desk.open(f"d{index}", "rest", None, None, "request", {}, now=MONDAY_NOON - 5000 + index)
        desk.store.claim(done.id, "Bob", now=MONDAY_NOON - 4000)
        desk.store.close(done.id, "resolved", now=MONDAY_NOON - 3400)
    later = desk.open("c2", "telegram", "43", None, "request", {}, now=MONDAY_NOON + 5)
    text = desk.expectation(later, MONDAY_NOON + 5)
    assert "There is 1 person ahead of you" in text and "about 20 minutes" in text


def test_outside_hours_the_customer_hears_when_the_team_is_back_and_that_it_is_kept(engine) -> None:
    desk, _ = make_desk(engine, agent_token="x" * 16)
    handoff = desk.open("c1", "sms", "+447700900123", None, "frustration", {}, now=SATURDAY_NIGHT)
    text = desk.expectation(handoff, SATURDAY_NIGHT)
    assert "away right now" in text and "tomorrow at 09:00 (Europe/London time)" in text and "kept" in text


def test_agents_group_and_webhook_are_notified_through_the_outbox(engine) -> None:
    desk, _ = make_desk(engine, telegram_agent_chat_id=-100, webhook_url="http://127.0.0.1:9/hook", webhook_secret="s")
    handoff = desk.open("c1", "telegram", "42", "Ana", "request",
                        {"customer": {"name": "Ana", "channel": "telegram", "contact": "•42"}, "reason_text": "asked",
                         "trigger_messages": [], "key_messages": [], "understood": [], "sentiment": {"trend": "steady"}},
                        now=MONDAY_NOON)
    desk.open("c1", "telegram", "42", "Ana", "request", {}, now=MONDAY_NOON + 1)  # the same open handoff: no new posts
    group, hook = outbox_rows(engine)
    assert (group["channel"], group["recipient"], group["payload"]["handoff_id"]) == ("telegram", "-100", handoff.id)
    assert group["payload"]["text"].startswith("Handoff: Ana on telegram")
    assert (hook["channel"], hook["recipient"]) == ("webhook", "http://127.0.0.1:9/hook")
    assert hook["payload"]["event"] == "handoff.created" and hook["payload"]["summary"]["customer"]["name"] == "Ana"


def test_an_agent_reply_goes_to_the_customers_channel_and_the_tracker(engine) -> None:
    desk, recorder = make_desk(engine, agent_token="x" * 16)
    handoff = desk.open("42", "telegram", "42", "Ana", "request", {}, now=MONDAY_NOON)
    with pytest.raises(HandoffError, match="claim"):
        asyncio.run(desk.reply(handoff.id, "hello"))
    asyncio.run(desk.claim(handoff.id, "Bob"))
    with pytest.raises(HandoffError) as other:
        asyncio.run(desk.reply(handoff.id, "hello", agent="Eve"))
    assert other.value.status == 409
    asyncio.run(desk.reply(handoff.id, "Hi Ana, my pin is 1234"))
    sent = [r["payload"]["text"] for r in outbox_rows(engine) if r["recipient"] == "42"]
    assert sent == ["Bob from the S-Club team has joined and is reading our conversation.",
                    "Hi Ana, my pin is [password removed]"]
    bot_events = recorder.events["42"]
    assert bot_events[-1]["metadata"] == {"agent": "Bob", "handoff_id": handoff.id}
    assert desk.store.get(handoff.id).first_agent_reply_at is not None


def test_resolving_resumes_the_conversation_and_thanks_the_customer(engine) -> None:
    desk, recorder = make_desk(engine, agent_token="x" * 16)
    handoff = desk.open("web-1", "rest", "web-1", None, "request", {}, now=MONDAY_NOON)
    asyncio.run(desk.claim(handoff.id, "Bob"))
    asyncio.run(desk.resolve(handoff.id))
    events = recorder.events["web-1"]
    resolved = max(i for i, e in enumerate(events) if e["event"] == "bot")
    kinds = [e["event"] for e in events[resolved:]]
    assert kinds[:3] == ["bot", "slot", "resume"] and kinds[-1] == "action"
    # ... and the feedback survey starts: the form is active, asking for the CSAT rating.
    assert "How would you rate your experience today" in events[resolved]["text"]
    assert {"event": "active_loop", "name": "feedback_form"} in events[resolved:]
    assert outbox_rows(engine) == []  # REST customers poll instead
    assert "resolved" in desk.store.messages_for_customer("web-1")[-1].text
    scale = [{"title": str(n), "payload": str(n)} for n in range(1, 6)]  # the web chat's page keeps the buttons
    assert desk.store.messages_for_customer("web-1")[-1].buttons == scale
    assert events[resolved]["data"] == {"buttons": scale}  # ... and offers them again after a reload (history)
    with pytest.raises(HandoffError):
        asyncio.run(desk.release(handoff.id))


def test_unclaimed_updates_are_sent_once_and_only_while_the_team_is_in(engine) -> None:
    desk, _ = make_desk(engine, agent_token="x" * 16)
    desk.open("sms-1", "sms", "+447700900123", None, "request", {}, now=SATURDAY_NIGHT)
    assert asyncio.run(desk.send_unclaimed_updates(SATURDAY_NIGHT + 3600)) == 0  # closed: nothing promised
    sunday = dt.datetime(2026, 11, 29, 9, 5, tzinfo=LONDON).timestamp()
    assert asyncio.run(desk.send_unclaimed_updates(sunday)) == 1
    assert asyncio.run(desk.send_unclaimed_updates(sunday + 600)) == 0
    [row] = outbox_rows(engine)
    assert "still in the queue" in row["payload"]["text"] and row["payload"]["encoding"] == "GSM-7"


def test_the_webhook_is_signed_and_retried_on_server_errors() -> None:
    payload = {"event": "handoff.created", "handoff_id": "h1", "summary": {"text": "café"}}
    with FakeWebhookReceiver() as hook:
        sender = WebhookSender("top-secret")
        hook.failures_left = 1
        with pytest.raises(RetryableSendError):
            asyncio.run(sender.send(f"{hook.url}/in", payload))
        asyncio.run(sender.send(f"{hook.url}/in", payload))
        [delivery] = hook.deliveries
    assert delivery.body == body_bytes(payload) and json.loads(delivery.body) == payload
    assert signature_is_valid("top-secret", delivery.body, delivery.headers[SIGNATURE_HEADER])
    assert not signature_is_valid("other-secret", delivery.body, delivery.headers[SIGNATURE_HEADER])
    assert signature("k", b"x").startswith("sha256=")


def test_an_unreachable_webhook_is_retried_and_a_refusal_is_permanent() -> None:
    with pytest.raises(RetryableSendError):
        asyncio.run(WebhookSender("s", timeout_s=2).send("http://127.0.0.1:9/none", {}))
    with FakeWebhookReceiver() as hook:
        hook.reply = lambda handler, status, body: FakeWebhookReceiver.reply(handler, 400, body)
        with pytest.raises(PermanentSendError):
            asyncio.run(WebhookSender("s").send(hook.url, {}))


def test_customer_messages_reach_the_agents_group_when_there_is_one(engine) -> None:
    desk, _ = make_desk(engine, telegram_agent_chat_id=-100)
    assert desk.customer_wrote("42", "hello?", "m1") is None  # no open handoff: nothing stored or posted
    summary = build_summary([], conversation_id="42", channel="telegram", recipient="42", customer_name="Ana",
                            reason="request", handed_over_at=MONDAY_NOON)
    handoff = desk.open("42", "telegram", "42", "Ana", "request", summary, now=MONDAY_NOON)
    desk.customer_wrote("42", "my password is hunter2", "m2")
    desk.customer_wrote("42", "my password is hunter2", "m2")  # the same message again: once
    posts = [r["payload"] for r in outbox_rows(engine) if r["recipient"] == "-100"][1:]  # after the summary
    assert posts == [{"method": "sendMessage", "text": "Ana (telegram): my password is [password removed]",
                      "handoff_id": handoff.id}]
