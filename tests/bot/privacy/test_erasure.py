"""Erasing one customer: every table, nothing of anyone else, a receipt without the contact, HubSpot too."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

from bot.crm import CrmConfig
from bot.messaging import store
from bot.privacy import Eraser, export_document, subject_for, subject_of_conversation
from bot.privacy.holdings import TABLES
from bot.vendors import HubSpotClient
from tests.bot.privacy.world import ANA, BEN, OTHER_PHRASE, PHRASE, T0, scan, write_world
from tests.bot.report.conftest import Script, save_trackers
from tests.fakes.hubspot_api import FakeHubSpotAPI

TOKEN = "pat-privacy-test"


@pytest.fixture
def world(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'frontdesk.db'}"
    engine = write_world(url)
    yield url, engine
    engine.dispose()


def forget(eraser: Eraser, contact: str = ANA):
    return asyncio.run(eraser.forget(subject_for("sms", contact), requested_by="test"))


def test_forget_leaves_the_phrase_in_no_table_and_the_other_customer_untouched(world) -> None:
    url, engine = world
    assert len(scan(engine, PHRASE)) >= 10
    others_before = scan(engine, OTHER_PHRASE)
    receipt = forget(Eraser(engine))
    assert scan(engine, PHRASE) == []
    assert scan(engine, OTHER_PHRASE) == others_before
    with engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(store.customers)).scalar() == 1
        assert db.execute(sa.select(store.delivery.c.provider_id)).scalars().all() == ["SMout2"]
        assert db.execute(sa.select(store.agent_audit.c.agent)).scalars().all() == ["Priya"]  # staff record, kept
    deleted = receipt.data["deleted"]
    assert deleted["frontdesk_handoffs"] == 1 and deleted["frontdesk_handoff_messages"] == 2
    assert deleted["frontdesk_outbox"] == 2 and deleted["frontdesk_delivery"] == 1  # incl. the agents' group post
    assert deleted["frontdesk_channel_state"] == 2 and deleted["frontdesk_crm_sync"] == 3
    assert all(deleted[t] for t in TABLES)
    assert receipt.data["handoffs"] == {"erased": 1, "open_when_erased": 1}
    assert receipt.data["report_figures_kept"] == 1 and receipt.data["hubspot"] == "off"


def test_the_receipt_is_logged_with_a_salted_hash_and_never_the_contact(world) -> None:
    _, engine = world
    eraser = Eraser(engine)
    receipt = forget(eraser)
    with engine.connect() as db:
        [row] = db.execute(sa.select(store.erasures)).mappings().all()
    assert row["kind"] == "forget" and row["requested_by"] == "test" and row["receipt"] == receipt.data
    assert row["contact_hash"] == subject_for("sms", ANA).contact_hash(eraser.salt()) == receipt.data["contact_hash"]
    assert row["contact_hash"] != subject_for("sms", ANA).contact_hash(b"another salt")
    stored = json.dumps(dict(row))
    assert ANA not in stored and ANA[1:] not in stored and PHRASE not in stored and "Ana" not in stored
    assert eraser.erased("h-ana")["requested_by"] == "test" and eraser.erased("h-bob") is None


def test_a_second_forget_finds_nothing_and_says_when_it_was_erased(world) -> None:
    _, engine = world
    eraser = Eraser(engine)
    first = forget(eraser)
    second = forget(eraser)
    assert first.found and not second.found
    assert second.data["rows_deleted"] == 0 and not any(second.data["deleted"].values())
    assert second.data["earlier_erasures"] == [first.data["at"]]


def test_the_export_holds_every_row_the_forget_deletes(world) -> None:
    _, engine = world
    subject = subject_for("sms", ANA)
    document = export_document(engine, subject, time.time())
    receipt = forget(Eraser(engine))
    assert document["counts"] == receipt.data["deleted"]
    text = json.dumps(document)
    assert text.count(PHRASE) >= 10 and OTHER_PHRASE not in text
    said = [m for s in document["conversations"] for m in s["messages"]]
    assert [m["author"] for m in said] == ["customer", "assistant", "customer", "agent"]
    assert said[0]["text"] == f"my {PHRASE} was left in locker 12" and said[-1]["agent"] == "Priya"
    [handoff] = document["handoffs"]
    assert [m["author"] for m in handoff["messages"]] == ["customer", "agent"]
    assert document["profile"][0]["name"] == "Ana" and document["surveys"][0]["comment"] == f"thanks for the {PHRASE}"
    assert {c["setting"]: c["value"] for c in document["consent"]}["opted_out"] is True
    assert {c["hubspot_object"] for c in document["crm"]} == {"contact", "note", "ticket"}
    assert document["who_looked"][0]["agent"] == "Priya" and document["who_looked"][0]["action"] == "claim"


def test_a_turn_running_during_the_erasure_is_swept_and_a_new_conversation_is_kept(world) -> None:
    url, engine = world
    eraser = Eraser(engine)
    receipt = forget(eraser)
    # Rasa's in-flight turn saves the session it had loaded again, after the delete
    again = Script(ANA, "sms").session(T0).user(T0 + 1, f"my {PHRASE} again")
    save_trackers(url, [again])
    assert scan(engine, PHRASE)
    assert eraser.sweep(subject_for("sms", ANA), receipt) > 0
    assert scan(engine, PHRASE) == []
    # a conversation the customer starts after the erasure is theirs to keep
    later = receipt.at + 5
    save_trackers(url, [Script(ANA, "sms").session(later).user(later + 1, "hello again")])
    assert eraser.sweep(subject_for("sms", ANA), receipt) == 0
    assert scan(engine, "hello again") == ["events.data"]


def hubspot_world(engine, hubspot: FakeHubSpotAPI) -> dict[str, str]:
    """Our contact, note and ticket in the fake HubSpot, with the ledger pointing at them."""
    async def create() -> dict[str, str]:
        client = HubSpotClient(TOKEN, hubspot.url)
        contact = await client.create("contacts", {"phone": ANA, "firstname": "Ana"})
        note = await client.create("notes", {"hs_timestamp": "2026-06-01T10:00:00.000Z", "hs_note_body": PHRASE},
                                   [{"to": {"id": contact}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                                       "associationTypeId": 202}]}])
        ticket = await client.create("tickets", {"subject": "Chat handover: Ana", "hs_pipeline_stage": "1"})
        await client.aclose()
        return {"contact": contact, "note": note, "ticket": ticket}
    ids = asyncio.run(create())
    with engine.begin() as db:
        for kind, object_id in ids.items():
            db.execute(store.crm_sync.update().where(store.crm_sync.c.kind == kind).values(hubspot_id=object_id))
    return ids


def test_forget_erases_the_hubspot_contact_and_our_notes_and_tickets(world) -> None:
    _, engine = world
    with FakeHubSpotAPI(TOKEN) as hubspot:
        ids = hubspot_world(engine, hubspot)
        other = asyncio.run(_create_contact(hubspot, BEN))
        receipt = forget(Eraser(engine, HubSpotClient(TOKEN, hubspot.url), CrmConfig()))
        assert [c["id"] for c in hubspot.gdpr_deleted] == [ids["contact"]]
        [gdpr] = [r for r in hubspot.requests if r.path.endswith("/gdpr-delete")]
        assert gdpr.method == "POST" and gdpr.body == {"objectId": ids["contact"]} and gdpr.status == 204
        assert hubspot.archived["notes"] == [ids["note"]] and hubspot.archived["tickets"] == [ids["ticket"]]
        assert [c["id"] for c in hubspot.contacts()] == [other]
        assert receipt.data["hubspot"] == {"notes_archived": 1, "tickets_archived": 1, "contacts_gdpr_deleted": 1,
                                           "already_gone": 0, "status": "done"}
        again = forget(Eraser(engine, HubSpotClient(TOKEN, hubspot.url), CrmConfig()))
        assert not again.found and again.data["hubspot"]["contacts_gdpr_deleted"] == 0


async def _create_contact(hubspot: FakeHubSpotAPI, phone: str) -> str:
    client = HubSpotClient(TOKEN, hubspot.url)
    try:
        return await client.create("contacts", {"phone": phone})
    finally:
        await client.aclose()


def test_a_hubspot_outage_leaves_work_that_the_next_run_finishes(world) -> None:
    _, engine = world
    with FakeHubSpotAPI(TOKEN) as hubspot:
        ids = hubspot_world(engine, hubspot)
        hubspot.fail_next(20, status=503)
        first = forget(Eraser(engine, HubSpotClient(TOKEN, hubspot.url), CrmConfig()))
        assert first.hubspot_failed and first.data["hubspot"]["status"] == "incomplete"
        assert "503" in first.data["hubspot"]["error"] and scan(engine, PHRASE) == []  # ours is erased regardless
        hubspot.faults.clear()
        second = forget(Eraser(engine, HubSpotClient(TOKEN, hubspot.url), CrmConfig()))
        assert not second.hubspot_failed and second.data["hubspot"]["status"] == "done"
        assert [c["id"] for c in hubspot.gdpr_deleted] == [ids["contact"]]
        assert hubspot.archived["notes"] == [ids["note"]] and hubspot.archived["tickets"] == [ids["ticket"]]
        with engine.connect() as db:
            assert db.execute(sa.select(store.erasures.c.hubspot_pending)).scalars().all() == [None, None]


def test_frontdesks_own_state_survives_a_conversation_id_that_looks_like_its_keys(world) -> None:
    _, engine = world
    eraser = Eraser(engine)
    salt = eraser.salt()
    for name in ("erasure-log", "scanner"):
        asyncio.run(eraser.forget(subject_of_conversation(name), requested_by="test"))
    assert eraser.salt() == salt
