"""The SMS connector's inbox path against a fake Twilio API: a turn that keeps failing is retried,
then failed visibly with an apology to the customer; secrets are masked before the inbox row is written."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.config import AssistantConfig, Settings
from bot.messaging import inbox as inbox_module
from bot.messaging.inbox import MAX_TURN_ATTEMPTS
from bot.messaging import BackgroundLoop
from bot.ops import RasaServices
from channels.twilio import SmsInput, TwilioTurn
from tests.conftest import PROJECT_DIR
from tests.fakes.twilio_api import FakeTwilioAPI

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "inbox-test-token"


@pytest.fixture
def api():
    with FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def connector(tmp_path: Path, api) -> SmsInput:
    settings = Settings.from_env({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                                  "TWILIO_SMS_NUMBER": "+15005550006", "PUBLIC_BASE_URL": "https://bot.example",
                                  "TWILIO_API_BASE": api.url, "FRONTDESK_STATE_DIR": str(tmp_path)}, project_dir=PROJECT_DIR)
    return SmsInput.from_services(RasaServices(settings, AssistantConfig.load(settings.assistant_file)))


class FailingAssistant:
    """Stands in for Rasa's `on_new_message`: raises like a tracker store that is down."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, message) -> None:
        self.calls.append(message.text)
        raise RuntimeError("the tracker store is down")


def test_a_turn_that_keeps_failing_is_retried_then_failed_and_the_customer_gets_an_apology(
        connector: SmsInput, api: FakeTwilioAPI, monkeypatch, caplog) -> None:
    monkeypatch.setattr(inbox_module, "RETRY_DELAY_S", 0.05)
    assistant = FailingAssistant()
    connector.blueprint(assistant)
    turn = TwilioTurn("SM-fails", "+15550001111", "hello", None, ())

    async def scenario() -> None:
        connector.inbound.start(app=None)
        assert await connector.inbound.accept(turn.message_sid, turn.sender, turn.stored()) is True
        assert await connector.inbound.accept(turn.message_sid, turn.sender, turn.stored()) is False  # Twilio's retry
        deadline = time.monotonic() + 20
        while not api.sent_to(turn.sender):
            assert time.monotonic() < deadline, "no apology reached the fake Twilio API"
            await asyncio.sleep(0.05)
        await connector.inbound.stop()

    asyncio.run(scenario())
    assert assistant.calls == ["hello"] * MAX_TURN_ATTEMPTS
    assert connector.inbound.inbox.status("sms", "SM-fails") == "failed"
    assert [m["Body"] for m in api.sent_to(turn.sender)] == [connector.responses.say("channels.apology")]
    assert "+15550001111" in caplog.text and "failed after" in caplog.text


def test_card_numbers_are_masked_before_the_message_is_stored(connector: SmsInput) -> None:
    turn = TwilioTurn("SM-card", "+15550002222", "my card is 4111 1111 1111 1111", None, ())
    assert connector.inbound.inbox.accept("sms", turn.message_sid, turn.sender, turn.stored())
    [stored] = connector.inbound.inbox.claim_due(["sms"], limit=1)
    assert "4111" not in stored.payload["text"] and stored.payload["masked"] == ["card number"]
    assert TwilioTurn.from_stored(stored.payload).masked == ("card number",)


class RecordingAssistant:
    """Stands in for Rasa's `on_new_message`: keeps each message and when its turn ran."""

    def __init__(self) -> None:
        self.messages: list[tuple[object, float]] = []

    async def __call__(self, message) -> None:
        self.messages.append((message, time.time()))


def test_the_turn_carries_when_the_webhook_accepted_the_message(connector: SmsInput) -> None:
    """Rasa stamps the user event when the turn runs (after the queue and NLU); the report needs the arrival."""
    assistant = RecordingAssistant()
    connector.blueprint(assistant)
    connector.inbound.background = BackgroundLoop(threaded=False)  # this test's own loop, not an earlier test's
    turn = TwilioTurn("SM-queued", "+15550003333", "hello", None, ())

    assert connector.inbound.inbox.accept("sms", turn.message_sid, turn.sender, turn.stored())  # the webhook's write

    async def scenario() -> None:
        await asyncio.sleep(0.5)  # queued behind other customers' turns
        connector.inbound.start(app=None)
        deadline = time.monotonic() + 20
        while not assistant.messages:
            assert time.monotonic() < deadline, "the turn never ran"
            await asyncio.sleep(0.05)
        await connector.inbound.stop()

    asyncio.run(scenario())
    [(message, ran_at)] = assistant.messages
    [accepted] = connector.inbound.inbox.engine.connect().execute(
        inbox_module.inbox.select().where(inbox_module.inbox.c.external_id == "SM-queued")).mappings().all()
    assert message.metadata["received_at"] == accepted["received_at"] <= ran_at - 0.5


class DiesMidTurnOnce:
    """Stands in for Rasa's `on_new_message`: the first run sends its first reply and then fails before the turn
    is saved (as an instance killed mid-turn, or a tracker store that went away); the run again words the first
    reply differently (another variant) and sends the second too."""

    def __init__(self, first: str = "utter_greet", again: str = "utter_greet") -> None:
        self.runs = 0
        self.first, self.again = first, again  # the response Rasa chose first on each run (`utter_action`)

    async def __call__(self, message) -> None:
        self.runs += 1
        if self.runs == 1:
            await message.output_channel.send_text_message(message.sender_id, "Hi there! How can I help?",
                                                           utter_action=self.first)
            raise RuntimeError("died before the turn was saved")
        await message.output_channel.send_text_message(message.sender_id, "Hello! What can I do for you?",
                                                       utter_action=self.again)
        await message.output_channel.send_text_with_buttons(message.sender_id, "Which one?",
                                                            [{"title": "Delivery", "payload": "/delivery"}],
                                                            utter_action="utter_ask_which")


def dying_turn(connector: SmsInput, api: FakeTwilioAPI, assistant: DiesMidTurnOnce, sid: str, sender: str,
               replies: int) -> list[str]:
    """Run one SMS turn with `assistant` until `replies` bodies reached the fake Twilio and the turn is done, and
    half a second more (anything sent twice would arrive by then); the bodies sent."""
    connector.blueprint(assistant)
    turn = TwilioTurn(sid, sender, "hello", None, ())

    async def scenario() -> None:
        connector.inbound.start(app=None)
        await connector.inbound.accept(turn.message_sid, turn.sender, turn.stored())
        deadline = time.monotonic() + 20
        while len(api.sent_to(sender)) < replies or connector.inbound.inbox.status("sms", sid) != "done":
            assert time.monotonic() < deadline, f"sent so far: {api.sent_to(sender)}"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        await connector.inbound.stop()

    asyncio.run(scenario())
    assert assistant.runs == 2
    return [m["Body"] for m in api.sent_to(sender)]


def test_a_turn_run_again_after_dying_midway_sends_each_reply_once(connector: SmsInput, api: FakeTwilioAPI,
                                                                    monkeypatch) -> None:
    monkeypatch.setattr(inbox_module, "RETRY_DELAY_S", 0.05)
    bodies = dying_turn(connector, api, DiesMidTurnOnce(), "SM-dies-once", "+15550002222", replies=2)
    assert len(bodies) == 2, bodies
    assert bodies[0] == "Hi there! How can I help?"  # the wording the customer got first stays; no second greeting
    assert bodies[1].startswith("Which one?\n\n1. Delivery")


def test_a_turn_run_again_that_decides_differently_is_not_silenced(connector: SmsInput, api: FakeTwilioAPI,
                                                                   monkeypatch) -> None:
    # the first run chose one response and died; the run again chose another at the same place: both are said
    monkeypatch.setattr(inbox_module, "RETRY_DELAY_S", 0.05)
    bodies = dying_turn(connector, api, DiesMidTurnOnce(first="utter_greet", again="utter_welcome_back"),
                        "SM-decides-again", "+15550002223", replies=3)
    assert bodies[:2] == ["Hi there! How can I help?", "Hello! What can I do for you?"], bodies
    assert bodies[2].startswith("Which one?") and len(bodies) == 3
