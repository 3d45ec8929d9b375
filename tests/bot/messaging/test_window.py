"""WhatsApp's 24-hour window: the decision, and the real outbox worker sending through the real TwilioSender to
the fake Twilio API (which refuses free-form messages outside the window with 63016, as Twilio does)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Template, WhatsAppConfig, WindowRules
from bot.messaging.outbox import Outbox, OutboxWorker
from bot.messaging.store import open_database, outbox
from bot.messaging.window import WhatsAppWindow, WindowedSender, decide
from bot.vendors import TwilioSender, text_payloads
from tests.fakes.twilio_api import FakeTwilioAPI

SID, TOKEN = "AC" + "1" * 32, "window-test-auth-token"
REPLY_SID = "HX" + "a" * 32
CUSTOMER = "whatsapp:+447700900123"
WINDOW_S = 60.0


def test_inside_the_window_everything_is_free_form() -> None:
    rules = WindowRules(WINDOW_S, {"agent_reply": Template(REPLY_SID)})
    assert decide(1000.0, 1000.0 + WINDOW_S - 1, rules, "agent_reply").kind == "free"
    assert decide(1000.0, 1000.0 + WINDOW_S - 1, rules, None).kind == "free"


def test_outside_the_window_the_purposes_template_or_held() -> None:
    rules = WindowRules(WINDOW_S, {"agent_reply": Template(REPLY_SID)})
    late = 1000.0 + WINDOW_S
    assert decide(1000.0, late, rules, "agent_reply").template == Template(REPLY_SID)
    assert decide(1000.0, late, rules, "survey") == decide(None, late, rules, "survey")
    assert decide(None, late, rules, "survey").kind == "hold" and decide(None, late, rules, "survey").reason == "no_template"


def test_the_environment_overrides_the_files_sid_and_window() -> None:
    config = WhatsAppConfig(templates={"survey": Template("HX" + "b" * 32, {"1": "name"}, "Hi {{1}}")})
    rules = WindowRules.of(config, 5.0, {"survey": "HX" + "c" * 32, "follow_up": "HX" + "d" * 32})
    assert rules.window_s == 5.0
    assert rules.templates["survey"] == Template("HX" + "c" * 32, {"1": "name"}, "Hi {{1}}")
    assert rules.templates["follow_up"].variables == {"1": "name", "2": "text"}
    assert WindowRules.of(config, None, {}).window_s == 86400.0


class World:
    def __init__(self, tmp_path: Path, api: FakeTwilioAPI, templates: dict[str, Template]) -> None:
        self.engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
        self.box = Outbox(self.engine)
        self.window = WhatsAppWindow(self.engine, WindowRules(WINDOW_S, templates))
        sender = TwilioSender(SID, TOKEN, "whatsapp:+14155238886", api_base=api.url)
        self.worker = OutboxWorker(self.box, {"whatsapp": WindowedSender(sender, self.window, "S-Club")})
        self.loop = asyncio.new_event_loop()  # one loop: twilio's aiohttp client belongs to the loop it was made on

    def enqueue(self, text: str, purpose: str, **fields: str) -> list[int]:
        return self.box.enqueue("whatsapp", CUSTOMER, CUSTOMER, text_payloads("whatsapp", text, purpose, fields))

    def drain(self) -> None:
        async def go() -> None:
            for _ in range(5):
                await self.worker.drain_once()
        self.loop.run_until_complete(go())

    def statuses(self) -> list[tuple[str, str | None]]:
        with self.engine.connect() as db:
            return [tuple(r) for r in db.execute(sa.select(outbox.c.status, outbox.c.held_reason).order_by(outbox.c.id))]


@pytest.fixture
def api():
    with FakeTwilioAPI(SID, TOKEN, whatsapp_window_s=WINDOW_S) as fake:
        yield fake


def test_a_customer_inside_the_window_gets_free_text(tmp_path: Path, api: FakeTwilioAPI) -> None:
    world = World(tmp_path, api, {})
    api.customer_wrote(CUSTOMER)
    world.window.customer_wrote(CUSTOMER, time.time())
    world.enqueue("Hi, Bob here.", "agent_reply", name="Ana", agent="Bob")
    world.drain()
    [sent] = api.sent_to(CUSTOMER)
    assert sent["Body"] == "Hi, Bob here." and "ContentSid" not in sent
    assert world.statuses() == [("sent", None)]


def test_outside_the_window_the_agents_reply_goes_as_its_template(tmp_path: Path, api: FakeTwilioAPI) -> None:
    world = World(tmp_path, api, {"agent_reply": Template(REPLY_SID, {"1": "name", "2": "agent", "3": "text"})})
    api.customer_wrote(CUSTOMER, time.time() - 26 * 3600)
    world.window.customer_wrote(CUSTOMER, time.time() - 26 * 3600)
    world.enqueue("Your refund is done.", "agent_reply", name="Ana", agent="Bob")
    world.drain()
    [sent] = api.sent_to(CUSTOMER)
    assert sent["ContentSid"] == REPLY_SID and "Body" not in sent
    assert json.loads(sent["ContentVariables"]) == {"1": "Ana", "2": "Bob", "3": "Your refund is done."}


def test_without_a_template_the_message_is_held_not_retried_and_sent_when_the_customer_writes(
        tmp_path: Path, api: FakeTwilioAPI) -> None:
    world = World(tmp_path, api, {})
    world.window.customer_wrote(CUSTOMER, time.time() - 26 * 3600)
    world.enqueue("Your refund is done.", "agent_reply", name="Ana")
    world.enqueue("Following up: is everything sorted now?", "follow_up", name="Ana")
    world.drain()
    assert api.attempts == []  # never offered to Twilio as free text
    assert world.statuses() == [("held", "no_template"), ("held", "no_template")]
    [notice_row] = [world.window.held_notice(CUSTOMER, CUSTOMER, 0.0)]
    assert [h["text"] for h in notice_row["held"]] == ["Your refund is done.", "Following up: is everything sorted now?"]

    api.customer_wrote(CUSTOMER)
    assert world.window.customer_wrote(CUSTOMER, time.time()) == (1, 1)  # the follow-up is pointless now
    world.drain()
    assert [m["Body"] for m in api.sent_to(CUSTOMER)] == ["Your refund is done."]
    assert world.statuses() == [("sent", "no_template"), ("cancelled", "no_template")]
    assert world.window.held_notice(CUSTOMER, CUSTOMER, 0.0) is None


def test_twilios_63016_holds_the_message_and_other_errors_fail_as_before(tmp_path: Path, api: FakeTwilioAPI) -> None:
    world = World(tmp_path, api, {})
    world.window.customer_wrote(CUSTOMER, time.time())  # we think the window is open; Twilio knows better
    world.enqueue("Hi, Bob here.", "agent_reply")
    world.drain()
    [refused] = api.refused(CUSTOMER)
    assert refused["_refused"] == 63016 and len(api.attempts) == 1  # not retried
    assert world.statuses() == [("held", "twilio_63016")]

    api.customer_wrote(CUSTOMER)
    api.fail_next(1, status=400)
    world.window.customer_wrote(CUSTOMER, time.time())
    world.drain()
    assert world.statuses() == [("failed", "twilio_63016")]  # a 400 that is not the window: failed, as today


def test_a_template_twilio_does_not_know_is_held_with_its_code(tmp_path: Path) -> None:
    with FakeTwilioAPI(SID, TOKEN, whatsapp_window_s=WINDOW_S, templates={"HX" + "f" * 32}) as api:
        world = World(tmp_path, api, {"survey": Template(REPLY_SID)})
        world.enqueue("How would you rate us?", "survey", name="Ana")
        world.drain()
        assert world.statuses() == [("held", "twilio_63027")]


def test_sms_is_never_windowed(tmp_path: Path, api: FakeTwilioAPI) -> None:
    assert text_payloads("sms", "hello", "agent_reply", {"name": "Ana"})[0].keys() == {"text", "encoding", "segments"}
