"""The follow-up after a person resolves, end to end: real assistants on one shared database, fake Telegram and
Twilio APIs, the agent desk API. FOLLOW_UP_AFTER_S is seconds here, and the follow-ups may go out at any hour."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa
import yaml
from twilio.request_validator import RequestValidator

from bot.messaging.store import open_database, scheduled
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.integration.conftest import start_assistant
from tests.integration.desk_setup import always_open_assistant_file, wait_until
from tests.integration.test_telegram_channel import SECRET, TOKEN, post, text_update
from tests.servers import redis_server

pytestmark = pytest.mark.integration

ACCOUNT_SID, AUTH_TOKEN = "AC" + "3" * 32, "follow-up-twilio-auth-token"
PUBLIC = "https://bot.s-club.example"
SMS_NUMBER, WHATSAPP_NUMBER = "+15005550006", "+14155238886"
AGENT_TOKEN = "follow-up-lead-token-" + "z" * 16
AFTER_S = 30  # time to resolve and stop an instance before it is due, on a loaded machine
SORTED = "is everything sorted now?"


class World:
    """Fakes, one shared database, and the running instance(s) of the assistant."""

    def __init__(self, tmp: Path, telegram: FakeTelegramAPI, twilio: FakeTwilioAPI, redis_url: str) -> None:
        self.tmp, self.telegram, self.twilio = tmp, telegram, twilio
        self.redis_url = redis_url  # several instances on one database share the per-conversation lock
        self.database_url = f"sqlite:///{tmp / 'shared.db'}"
        settings = yaml.safe_load(Path(always_open_assistant_file(tmp, 3600)).read_text())
        settings["follow_up"] = {"after_resolved_s": 86400, "send_between": "00:00-24:00"}
        self.assistant_file = tmp / "assistant-follow-up.yml"
        self.assistant_file.write_text(yaml.safe_dump(settings))
        self.running: list = []

    def start(self, name: str):
        (self.tmp / name).mkdir()
        instance = start_assistant(self.tmp / name, {
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "ASSISTANT_FILE": str(self.assistant_file),
            "FOLLOW_UP_AFTER_S": str(AFTER_S), "AGENT_TOKEN": AGENT_TOKEN,
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": self.telegram.url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_SMS_NUMBER": SMS_NUMBER,
            "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER, "PUBLIC_BASE_URL": PUBLIC, "TWILIO_API_BASE": self.twilio.url})
        self.running.append(instance)
        return instance

    def rows(self, conversation_id: str) -> list[dict]:
        with open_database(self.database_url).connect() as db:
            return [dict(r) for r in db.execute(sa.select(scheduled).where(
                scheduled.c.conversation_id == conversation_id)).mappings()]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with FakeTelegramAPI(TOKEN) as telegram, FakeTwilioAPI(ACCOUNT_SID, AUTH_TOKEN) as twilio, \
            redis_server() as redis:
        world = World(tmp_path_factory.mktemp("follow-up"), telegram, twilio, redis.url)
        world.start("a")
        yield world
        for instance in world.running:
            instance.stop()


def twilio_says(assistant, channel: str, sender: str, text: str) -> None:
    number = SMS_NUMBER if channel == "sms" else f"whatsapp:{WHATSAPP_NUMBER}"
    fields = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID, "From": sender, "To": number,
              "Body": text, "NumMedia": "0", "ProfileName": "Ana"}
    path = f"/webhooks/{channel}/webhook"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, fields)
    assert httpx.post(assistant.url + path, content=urlencode(fields).encode(), timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}).status_code == 200


def desk(assistant, method: str, path: str) -> dict:
    reply = httpx.request(method, f"{assistant.url}/agent/api{path}", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                          timeout=30)
    assert reply.status_code < 300, reply.text
    return reply.json()


def handoff_for(assistant, conversation_id: str, status: str = "open") -> dict:
    def find():
        details = (desk(assistant, "GET", f"/handoffs/{h['id']}")
                   for h in desk(assistant, "GET", f"/handoffs?status={status}")["handoffs"])
        return next((d for d in details if d["summary"]["conversation_id"] == conversation_id), None)
    return wait_until(find, timeout=60, what=f"a handoff for {conversation_id}")


class Customer:
    def __init__(self, world: World, channel: str) -> None:
        self.world, self.channel = world, channel
        digits = str(uuid.uuid4().int)[:6]
        self.id = {"telegram": digits, "sms": f"+447700{digits}", "whatsapp": f"whatsapp:+447711{digits}"}[channel]

    def says(self, assistant, text: str) -> None:
        if self.channel == "telegram":
            assert post(assistant, text_update(text, chat_id=int(self.id), first_name="Ana")).status_code == 200
        else:
            twilio_says(assistant, self.channel, self.id, text)

    def received(self) -> list[str]:
        if self.channel == "telegram":
            return [m["text"] for m in self.world.telegram.sent_to(int(self.id))]
        return [m.get("Body") or "" for m in self.world.twilio.sent_to(self.id)]

    def wait_for(self, words: str, count: int = 1, timeout: float = 90) -> list[str]:
        try:
            return wait_until(lambda: (found := [t for t in self.received() if words in t]) and len(found) >= count
                              and found, timeout=timeout, what=f"{words!r} on {self.channel}")
        except AssertionError as error:
            raise AssertionError(f"{error}; received: {self.received()}") from None


def hand_over_and_resolve(assistant, customer: Customer) -> dict:
    customer.says(assistant, "I want to talk to a person")
    handoff = handoff_for(assistant, customer.id)
    desk(assistant, "POST", f"/handoffs/{handoff['id']}/resolve")
    customer.wait_for("marked your conversation as resolved")
    return handoff


def test_a_follow_up_reaches_each_channel_and_its_answer_is_read(world) -> None:
    assistant = world.running[-1]
    customers = {channel: Customer(world, channel) for channel in ("telegram", "sms", "whatsapp")}
    handoffs = {channel: hand_over_and_resolve(assistant, c) for channel, c in customers.items()}
    for customer in customers.values():
        [follow_up] = customer.wait_for(SORTED)
        assert follow_up.startswith("Hi Ana, following up on your conversation with our team")
    [telegram_call] = [m for m in world.telegram.sent_to(int(customers["telegram"].id)) if SORTED in m["text"]]
    assert [b[0]["callback_data"] for b in telegram_call["reply_markup"]["inline_keyboard"]] == ["/affirm", "/deny"]
    assert "1. Yes\n2. No" in customers["sms"].wait_for(SORTED)[0]

    customers["sms"].says(assistant, "1")  # yes: confirmed resolved
    customers["sms"].wait_for("great to hear")
    customers["whatsapp"].says(assistant, "yes")
    customers["whatsapp"].wait_for("great to hear")
    customers["telegram"].says(assistant, "No")  # brings a person back, the earlier handoff linked
    customers["telegram"].wait_for("isn't sorted yet")
    customers["telegram"].says(assistant, "/request_human")
    customers["telegram"].wait_for("passing you to a person", count=2)
    again = handoff_for(assistant, customers["telegram"].id)
    assert again["summary"]["follow_up_of"] == handoffs["telegram"]["id"]
    answers = {channel: [r["answer"] for r in world.rows(c.id)] for channel, c in customers.items()}
    assert answers == {"telegram": ["no"], "sms": ["yes"], "whatsapp": ["yes"]}


def test_a_follow_up_due_while_the_assistant_was_down_is_sent_after_the_restart(world) -> None:
    customer = Customer(world, "sms")
    hand_over_and_resolve(world.running[-1], customer)
    world.running[-1].stop()
    [row] = world.rows(customer.id)
    assert row["status"] == "pending" and not [t for t in customer.received() if SORTED in t]  # not before the stop
    world.start("b")
    customer.wait_for(SORTED)
    assert len(customer.wait_for(SORTED)) == 1


def test_two_instances_on_one_database_send_it_once(world) -> None:
    world.start("c")
    first, second = world.running[-2], world.running[-1]
    customers = [Customer(world, "sms") for _ in range(3)]
    for customer in customers:
        hand_over_and_resolve(first, customer)
    for customer in customers:
        customer.wait_for(SORTED)
    time.sleep(5)  # both workers had their chance
    assert [len([t for t in c.received() if SORTED in t]) for c in customers] == [1, 1, 1]
    assert second.process.poll() is None and first.process.poll() is None
