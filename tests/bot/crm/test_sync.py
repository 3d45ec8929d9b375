"""Conversations end up in HubSpot (fake, on loopback) as the right contact, note and ticket, exactly once, with and without faults."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from rasa.shared.core.events import BotUttered, SlotSet

from bot.messaging import outbox as outbox_module
from bot.handoff import build_summary
from bot.crm.sync import CHECKPOINTS, WATERMARK, CrmConfig
from bot.messaging.outbox import MAX_ATTEMPTS, Outbox
from bot.messaging.channel_values import channel_state
from tests.bot.crm.crm_world import FAST, TOKEN, World, agent_says, answered, closed, sync_until_settled
from tests.fakes.hubspot_api import FakeHubSpotAPI

LONG_AGO = time.time() - 3 * 3600  # conversations that ended well past the idle timeout


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


@pytest.fixture
def hubspot():
    with FakeHubSpotAPI(TOKEN) as api:
        yield api


def run(world: World, hubspot: FakeHubSpotAPI, config: CrmConfig | None = None, instances: int = 1) -> None:
    async def go() -> None:
        syncs = [world.crm(hubspot.url, *([config] if config else [])) for _ in range(instances)]
        try:
            await sync_until_settled(*syncs)
        finally:
            for sync in syncs:
                await sync.client.aclose()

    asyncio.run(go())


def creates(hubspot: FakeHubSpotAPI, kind: str) -> int:
    return sum(1 for r in hubspot.requests if r.method == "POST" and r.path == f"/crm/v3/objects/{kind}")


async def telegram_question(world: World, sender: str = "5550001", start: float = LONG_AGO) -> float:
    return await world.conversation(sender, "telegram", start, [
        ("hi", [SlotSet("customer_name", "Ann")]),
        ("how do I cancel my membership? my card is 4111 1111 1111 1111", answered("membership-cancel")),
        ("thanks", []),
    ], name="Ann")


def test_a_new_customer_gets_a_contact_and_a_note_of_the_conversation(world: World, hubspot: FakeHubSpotAPI) -> None:
    asyncio.run(telegram_question(world))
    run(world, hubspot)

    [contact] = hubspot.contacts()
    assert contact["frontdesk_telegram_id"] == "5550001" and contact["firstname"] == "Ann"
    [note] = hubspot.notes_of(contact["id"])
    body = note["hs_note_body"]
    assert "on telegram" in body and "the customer went quiet" in body
    assert "<li>how do I cancel my membership? my card is [card number removed]</li>" in body
    assert "4111" not in body
    assert "Knowledge-base entries answered</strong>: membership-cancel" in body
    assert "Handed over to a person</strong>: no" in body and "answered by the assistant" in body
    assert note["hs_timestamp"].endswith("Z")
    assert world.status() == {"synced": 1, "pending": 0, "failed": 0, "last_errors": []}


def test_a_returning_customer_is_found_by_phone_not_duplicated(world: World, hubspot: FakeHubSpotAPI) -> None:
    # S-Club's team created the contact in HubSpot, without a first name
    hubspot_contact = asyncio.run(_existing_contact(hubspot, {"phone": "+447700900123", "lastname": "Jones"}))
    end = asyncio.run(world.conversation("whatsapp:+447700900123", "whatsapp", LONG_AGO,
                                         [("what time do you open?", answered("opening-hours"))], name="Bea"))
    asyncio.run(world.conversation("whatsapp:+447700900123", "whatsapp", end + 3600,
                                   [("and on sundays?", answered("opening-hours"))], name="Bea"))
    run(world, hubspot)

    [contact] = hubspot.contacts()
    assert contact["id"] == hubspot_contact and contact["firstname"] == "Bea" and contact["lastname"] == "Jones"
    notes = hubspot.notes_of(contact["id"])
    assert len(notes) == 2 and all("on whatsapp" in n["hs_note_body"] for n in notes)
    assert creates(hubspot, "contacts") == 1  # the one S-Club made, above


async def _existing_contact(hubspot: FakeHubSpotAPI, properties: dict) -> str:
    from bot.vendors.hubspot_api import HubSpotClient

    client = HubSpotClient(TOKEN, hubspot.url)
    try:
        return await client.create("contacts", properties)
    finally:
        await client.aclose()


def test_a_handoff_opens_a_ticket_and_resolving_it_closes_the_ticket(world: World, hubspot: FakeHubSpotAPI) -> None:
    start = time.time() - 5  # a conversation going on now
    asyncio.run(world.conversation("5550002", "telegram", start, [("I want to talk to a person", [])], name="Cy"))
    handoff_id = world.handoff("5550002", "telegram", start + 2, reason="request", name="Cy",
                               summary={"question": "freeze my membership", "tried": ["membership-freeze"]})
    run(world, hubspot)

    [contact] = hubspot.contacts()
    [ticket] = hubspot.tickets_of(contact["id"])
    assert ticket["hs_pipeline"] == "0" and ticket["hs_pipeline_stage"] == "1"
    assert "(request)" in ticket["subject"]
    assert hubspot.count("notes") == 0  # the conversation is still going

    asyncio.run(world.record("5550002", agent_says("Done, your membership is frozen.", "Dana", handoff_id, time.time() - 2)))
    world.resolve(handoff_id, "Dana", time.time() - 1)
    run(world, hubspot)

    [ticket] = hubspot.tickets_of(contact["id"])
    assert ticket["hs_pipeline_stage"] == "4"
    [note] = hubspot.notes_of(contact["id"])
    body = note["hs_note_body"]
    assert "yes (request, resolved, agent Dana)" in body and "resolved by an agent" in body
    assert "Agent (Dana)</strong>: Done, your membership is frozen." in body
    assert creates(hubspot, "tickets") == 1 and len(hubspot.contacts()) == 1


def test_the_ticket_reads_like_the_desks_summary_with_the_contact_masked(world: World, hubspot: FakeHubSpotAPI) -> None:
    sender, start = "+447700900123", time.time() - 5
    asyncio.run(world.conversation(sender, "sms", start, [
        ("I was charged twice on card 4111 1111 1111 1111", [SlotSet("kb_decision", "fallback"),
                                                             BotUttered("Sorry, I don't know that one yet.")]),
        ("let me speak to a person", []),
    ], name="Sam"))
    summary = build_summary(asyncio.run(world.events_of(sender)), conversation_id=sender, channel="sms",
                            recipient=sender, customer_name="Sam", reason="request", handed_over_at=start + 3)
    world.handoff(sender, "sms", start + 3, name="Sam", summary=summary)
    run(world, hubspot)

    [ticket] = hubspot.objects["tickets"].values()
    content = ticket["properties"]["content"]
    clock = lambda ts, fmt="%H:%M:%S": time.strftime(fmt, time.gmtime(ts))  # noqa: E731
    assert content.startswith("Handoff: Sam on sms (+44•••••••123)\nWhy: the customer asked for a person\n"
                              "  > let me speak to a person\nIn their words:\n"
                              "  - I was charged twice on card [card number removed]\n")
    assert "Bot: fallback -> nothing found (no feedback)" in content
    assert f"Started {clock(start, '%Y-%m-%d %H:%M')} UTC, handed over {clock(start + 3, '%Y-%m-%d %H:%M')} UTC" in content
    assert (f"{clock(start + 1)} Customer: I was charged twice on card [card number removed]\n"
            f"{clock(start + 1.1)} Assistant: Sorry, I don't know that one yet.\n"
            f"{clock(start + 2)} Customer: let me speak to a person") in content
    # none of the stored JSON raw: not the full number (the SMS conversation id), epoch seconds or ids
    assert "900123" not in content and "4111" not in content
    assert "{" not in content and str(int(start)) not in content and "message_ids" not in content


def test_a_closed_conversation_is_noted_without_waiting_for_the_idle_timeout(world: World, hubspot: FakeHubSpotAPI) -> None:
    start = time.time() - 10
    asyncio.run(world.conversation("web-1", "rest", start, [("do you have parking?", answered("parking")),
                                                            ("bye", closed())]))
    world.survey("web-1", "rest", "csat", 5, start + 2.5)
    run(world, hubspot)

    [contact] = hubspot.contacts()
    assert contact["frontdesk_chat_id"] == "rest:web-1"
    [note] = hubspot.notes_of(contact["id"])
    assert "closed in the chat" in note["hs_note_body"] and "CSAT 5/5" in note["hs_note_body"]


def test_a_web_chat_sessions_conversation_id_is_its_contacts_chat_id(world: World, hubspot: FakeHubSpotAPI) -> None:
    sender, start = "webchat:3q2-7wAAAAB_aZcdefGhiA", time.time() - 10
    asyncio.run(world.conversation(sender, "webchat", start, [("do you have parking?", answered("parking")),
                                                            ("bye", closed())]))
    run(world, hubspot)
    assert [c["frontdesk_chat_id"] for c in hubspot.contacts()] == [sender]  # not webchat:webchat:...


def test_a_429_is_retried_after_its_retry_after(world: World, hubspot: FakeHubSpotAPI) -> None:
    asyncio.run(telegram_question(world))
    hubspot.fail_next(1, status=429, retry_after=1)
    run(world, hubspot)

    assert len(hubspot.contacts()) == 1 and hubspot.count("notes") == 1
    limited, retry = hubspot.requests[0], hubspot.requests[1]
    assert limited.status == 429 and retry.at - limited.at >= 0.9


def test_an_outage_longer_than_the_retries_loses_nothing_and_duplicates_nothing(
        world: World, hubspot: FakeHubSpotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_module, "BASE_DELAY_S", 0.02)  # the retries' backoff, shortened
    asyncio.run(telegram_question(world, "5550003"))
    asyncio.run(world.conversation("+447700900999", "sms", LONG_AGO, [("where are you?", answered("address"))]))
    hubspot.fail_next(MAX_ATTEMPTS * 2, status=503)

    async def outage() -> dict:
        sync = world.crm(hubspot.url, replace(FAST, retry_failed_after_s=3600))
        try:
            deadline = time.monotonic() + 20
            while world.status()["failed"] < 2 and time.monotonic() < deadline:  # until both jobs used up their retries
                await sync.drain_once()
                await asyncio.sleep(0.02)
            return world.status()
        finally:
            await sync.client.aclose()

    during = asyncio.run(outage())
    assert during["failed"] == 2 and during["pending"] == 0 and "503" in during["last_errors"][0]["error"]
    assert hubspot.count("contacts") == 0

    run(world, hubspot)  # HubSpot is back: the failed jobs are queued again
    assert len(hubspot.contacts()) == 2 and hubspot.count("notes") == 2
    assert world.status() == {"synced": 2, "pending": 0, "failed": 0, "last_errors": []}


def test_a_create_whose_answer_was_lost_is_found_not_repeated(world: World, hubspot: FakeHubSpotAPI) -> None:
    asyncio.run(telegram_question(world))
    hubspot.lose_answer_of_next_create("contacts")  # HubSpot creates it, but we get a 502
    hubspot.lose_answer_of_next_create("notes")
    run(world, hubspot)

    assert len(hubspot.contacts()) == 1 and hubspot.count("notes") == 1
    assert [r.status for r in hubspot.requests if r.path.endswith("/notes")] == [502]
    assert world.status()["synced"] == 1


def test_a_lost_answer_is_written_again_when_its_ref_cannot_be_searched(world: World, hubspot: FakeHubSpotAPI) -> None:
    asyncio.run(telegram_question(world))
    hubspot.lose_answer_of_next_create("notes")
    hubspot.unsearchable.add("hs_note_body")
    run(world, hubspot)

    assert hubspot.count("notes") == 2  # a duplicate at worst, never a note stuck unwritten
    assert world.status() == {"synced": 1, "pending": 0, "failed": 0, "last_errors": []}


def test_a_re_run_creates_nothing_new(world: World, hubspot: FakeHubSpotAPI) -> None:
    asyncio.run(telegram_question(world))
    handoff_id = world.handoff("5550001", "telegram", LONG_AGO + 2)
    world.resolve(handoff_id, "Dana", LONG_AGO + 3)
    run(world, hubspot)
    before = {kind: hubspot.count(kind) for kind in ("contacts", "notes", "tickets")}
    assert before == {"contacts": 1, "notes": 1, "tickets": 1}
    writes = len([r for r in hubspot.requests if r.method in ("POST", "PATCH") and not r.path.endswith("/search")])

    for key in (WATERMARK, CHECKPOINTS):  # forget how far the scans got
        channel_state(world.engine, "hubspot").put(*key, None)
    run(world, hubspot)
    run(world, hubspot, instances=2)

    assert {kind: hubspot.count(kind) for kind in ("contacts", "notes", "tickets")} == before
    assert len([r for r in hubspot.requests if r.method in ("POST", "PATCH") and not r.path.endswith("/search")]) == writes


def test_two_instances_at_once_write_each_thing_once(world: World, hubspot: FakeHubSpotAPI) -> None:
    for i in range(4):
        asyncio.run(world.conversation(f"+44770090010{i}", "sms", LONG_AGO, [("opening hours?", answered("opening-hours"))]))
    run(world, hubspot, instances=2)

    assert len(hubspot.contacts()) == 4 and hubspot.count("notes") == 4


def test_a_job_queued_twice_writes_once(world: World, hubspot: FakeHubSpotAPI) -> None:
    # two scanners that both saw the conversation before either recorded it queue it twice
    asyncio.run(telegram_question(world))
    run(world, hubspot)
    [[job]] = [[r.payload] for r in _hubspot_jobs(world)]
    Outbox(world.engine).enqueue("hubspot", "hubspot:5550001", "5550001", [job])
    run(world, hubspot)

    assert world.hubspot_jobs() == {"sent": 2}
    assert len(hubspot.contacts()) == 1 and hubspot.count("notes") == 1 and creates(hubspot, "notes") == 1


def _hubspot_jobs(world: World) -> list:
    import sqlalchemy as sa

    from bot.messaging.store import outbox

    with world.engine.connect() as db:
        return db.execute(sa.select(outbox).where(outbox.c.channel == "hubspot")).all()


def test_the_status_command_shows_what_waits_and_why(world: World, hubspot: FakeHubSpotAPI,
                                                    monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from bot.ops.cli import main

    asyncio.run(telegram_question(world))
    hubspot.fail_next(1, status=403)  # e.g. a scope missing from the private app

    async def once() -> None:
        sync = world.crm(hubspot.url)
        await sync.drain_once()
        await sync.client.aclose()

    asyncio.run(once())
    monkeypatch.setenv("DATABASE_URL", world.url)
    assert main(["crm", "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("HubSpot CRM: off (set HUBSPOT_ACCESS_TOKEN")
    assert '"failed": 1' in out and "403" in out and '"conversation_id": "5550001"' in out
