"""Consent on the real outbox and senders against the fake APIs: a Telegram chat that blocked the bot (403) is opted
out and gets nothing more until it writes; a customer who sent STOP gets nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa

from bot.messaging.outbox import Outbox, OutboxWorker
from bot.messaging.channel_values import ChannelState
from bot.messaging.store import open_database, outbox
from bot.vendors import OptOutAware, TelegramSender, TwilioSender, make_bot
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI

TOKEN = "123456:consent-token"


def statuses(engine) -> list[tuple[str, str]]:
    with engine.connect() as db:
        return [tuple(r) for r in db.execute(sa.select(outbox.c.status, outbox.c.last_error).order_by(outbox.c.id))]


def drain(worker: OutboxWorker, loop: asyncio.AbstractEventLoop) -> None:
    async def go() -> None:
        for _ in range(5):
            await worker.drain_once()
    loop.run_until_complete(go())


def test_a_telegram_chat_that_blocked_the_bot_is_opted_out(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    state = ChannelState(engine, "telegram")
    box = Outbox(engine)
    loop = asyncio.new_event_loop()
    with FakeTelegramAPI(TOKEN) as api:
        worker = OutboxWorker(box, {"telegram": OptOutAware(TelegramSender(make_bot(TOKEN, api.url)), state)})
        api.fail_next(1, status=403)
        box.enqueue("telegram", "777", "777", [{"method": "sendMessage", "text": "Following up"}])
        drain(worker, loop)
        assert state.get("777", "opted_out") is True
        box.enqueue("telegram", "777", "777", [{"method": "sendMessage", "text": "Another"}])
        drain(worker, loop)
        assert len(api.attempts) == 1 and api.sent_to(777) == []  # the second was never offered to Telegram
    assert [s for s, _ in statuses(engine)] == ["failed", "failed"]
    assert "opted out" in statuses(engine)[1][1]


def test_a_403_from_the_agents_group_opts_nobody_out(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    state = ChannelState(engine, "telegram")
    box = Outbox(engine)
    with FakeTelegramAPI(TOKEN) as api:
        worker = OutboxWorker(box, {"telegram": OptOutAware(TelegramSender(make_bot(TOKEN, api.url)), state)})
        api.fail_next(1, status=403)
        box.enqueue("telegram", "-100123", "777", [{"method": "sendMessage", "text": "Handoff summary"}])
        drain(worker, asyncio.new_event_loop())
    assert state.get("-100123", "opted_out") is None and [s for s, _ in statuses(engine)] == ["failed"]


def test_nothing_goes_to_a_number_that_sent_stop(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    state = ChannelState(engine, "whatsapp")
    state.put("whatsapp:+447700900999", "opted_out", True)
    box = Outbox(engine)
    with FakeTwilioAPI("AC" + "2" * 32, "consent-auth-token") as api:
        sender = OptOutAware(TwilioSender("AC" + "2" * 32, "consent-auth-token", "whatsapp:+14155238886", api.url), state)
        box.enqueue("whatsapp", "whatsapp:+447700900999", "whatsapp:+447700900999", [{"text": "Hi", "purpose": "follow_up"}])
        drain(OutboxWorker(box, {"whatsapp": sender}), asyncio.new_event_loop())
        assert api.attempts == []
    assert [s for s, _ in statuses(engine)] == ["failed"]
