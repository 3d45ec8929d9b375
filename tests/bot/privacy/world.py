"""Two SMS customers with records in every table a customer can reach, and a scan of a whole database for a phrase.

    +447700900123  said "purple giraffe umbrella" (the phrase to erase) in a session with a claimed handoff,
                   an agent's reply, a survey comment, inbox/outbox/delivery rows, STOP and media channel
                   state, a post in the agents' Telegram group and HubSpot ledger rows (contact, note, ticket)
    +447700900999  said "orange kangaroo", with a profile and a survey: must be left as it is
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.messaging import store
from bot.messaging.store import open_database
from tests.bot.report.conftest import Script, add_handoff, save_trackers, utc

ANA, BEN = "+447700900123", "+447700900999"
PHRASE, OTHER_PHRASE = "purple giraffe umbrella", "orange kangaroo"
T0 = utc("2026-06-01 10:00:00")


def write_world(url: str) -> Engine:
    ana = (Script(ANA, "sms").session(T0)
           .faq(T0, f"my {PHRASE} was left in locker 12", "fallback")
           .user(T0 + 30, "can I talk to a person", intent="request_human")
           .slot(T0 + 31, "handoff_id", "h-ana").pause(T0 + 31)
           .bot(T0 + 90, f"Hi, Priya here: we found a {PHRASE}.", agent="Priya", handoff="h-ana"))
    ben = Script(BEN, "sms").session(T0).faq(T0 + 5, f"is the {OTHER_PHRASE} class on", "answer", "class_timetable")
    save_trackers(url, [ana, ben])
    engine = open_database(url)
    add_handoff(engine, ANA, "sms", "request", "claimed", T0 + 31, claimed_at=T0 + 60, first_agent_reply_at=T0 + 90,
                handoff_id="h-ana")
    with engine.begin() as db:
        db.execute(store.handoffs.update().where(store.handoffs.c.id == "h-ana").values(
            recipient=ANA, customer_name="Ana", summary={"key_messages": [f"my {PHRASE} was left"]}))
        db.execute(store.handoff_messages.insert(), [
            {"handoff_id": "h-ana", "author": "customer", "agent": None, "text": f"it is a {PHRASE}",
             "created_at": T0 + 50},
            {"handoff_id": "h-ana", "author": "agent", "agent": "Priya", "text": f"Hi, Priya here: we found a {PHRASE}.",
             "created_at": T0 + 90}])
        db.execute(store.surveys.insert(), [
            {"conversation_id": ANA, "channel": "sms", "kind": "csat", "score": 5, "comment": f"thanks for the {PHRASE}",
             "created_at": T0 + 200},
            {"conversation_id": BEN, "channel": "sms", "kind": "csat", "score": 3, "comment": None,
             "created_at": T0 + 210}])
        db.execute(store.customers.insert(), [
            {"conversation_id": ANA, "channel": "sms", "name": "Ana", "first_seen_at": T0, "last_seen_at": T0,
             "conversations": 1},
            {"conversation_id": BEN, "channel": "sms", "name": "Ben", "first_seen_at": T0, "last_seen_at": T0,
             "conversations": 1}])
        db.execute(store.inbox.insert().values(channel="sms", external_id="SM1", sender=ANA,
                                               payload={"text": f"my {PHRASE} was left"}, status="done", attempts=1,
                                               next_attempt_at=T0, received_at=T0, finished_at=T0 + 1))
        db.execute(store.outbox.insert(), [
            {"channel": "sms", "recipient": ANA, "conversation_id": ANA, "payload": {"text": f"a {PHRASE}"},
             "status": "sent", "attempts": 1, "next_attempt_at": T0, "provider_id": "SMout1", "created_at": T0 + 90},
            {"channel": "telegram", "recipient": "-1001234", "conversation_id": ANA,
             "payload": {"method": "sendMessage", "text": f"Ana (sms): {PHRASE}"}, "status": "sent", "attempts": 1,
             "next_attempt_at": T0, "provider_id": "77", "created_at": T0 + 31},
            {"channel": "sms", "recipient": BEN, "conversation_id": BEN, "payload": {"text": "yes"},
             "status": "sent", "attempts": 1, "next_attempt_at": T0, "provider_id": "SMout2", "created_at": T0 + 6}])
        db.execute(store.delivery.insert(), [{"provider_id": "SMout1", "status": "delivered", "updated_at": T0 + 95},
                                             {"provider_id": "SMout2", "status": "delivered", "updated_at": T0 + 9}])
        db.execute(store.channel_values.insert(), [
            {"channel": "sms", "recipient": ANA, "key": "opted_out", "value": True, "updated_at": T0 + 300},
            {"channel": "sms", "recipient": ANA, "key": "media", "value": [{"url": f"https://x/{PHRASE}.jpg"}],
             "updated_at": T0 + 40}])
        db.execute(store.crm_sync.insert(), [
            {"key": f"contact:{ANA}", "kind": "contact", "conversation_id": ANA, "status": "done", "hubspot_id": "c1",
             "created_at": T0, "updated_at": T0},
            {"key": f"note:{ANA}:1", "kind": "note", "conversation_id": ANA, "status": "done", "hubspot_id": "n1",
             "created_at": T0, "updated_at": T0},
            {"key": "ticket:h-ana", "kind": "ticket", "conversation_id": ANA, "status": "done", "hubspot_id": "t1",
             "created_at": T0, "updated_at": T0}])
        db.execute(store.scheduled.insert(), [
            {"kind": "follow_up", "conversation_id": ANA, "channel": "sms", "recipient": ANA, "handoff_id": "h-ana",
             "status": "sent", "due_at": T0 + 500, "detail": {"name": "Ana", "topic": f"“my {PHRASE} was left”"},
             "created_at": T0 + 100, "sent_at": T0 + 500}])
        db.execute(store.agent_audit.insert().values(at=T0 + 60, agent="Priya", action="claim", handoff_id="h-ana"))
        db.execute(store.kb_suggestions.insert().values(
            wording=f"my {PHRASE} was left", wording_key=f"my {PHRASE} was left", entry_id="lost_property",
            entry_digest="0" * 64, evidence="clarification", conversation_id=ANA, created_at=T0, status="pending"))
    return engine


def scan(engine: Engine, phrase: str) -> list[str]:
    """`table.column` for every text or JSON value anywhere in the database that contains `phrase`."""
    hits = []
    with engine.connect() as db:
        inspector = sa.inspect(db)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                rows = db.execute(sa.text(f'SELECT 1 FROM "{table}" WHERE CAST("{column["name"]}" AS TEXT) LIKE :p'),
                                  {"p": f"%{phrase}%"}).all()
                hits += [f"{table}.{column['name']}"] * len(rows)
    return hits
