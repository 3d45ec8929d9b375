"""Frontdesk's own tables (inbox, outbox, handoffs, surveys, customers, CRM sync, agents, erasure log, report
summary, running instances), in the database at DATABASE_URL; their schema changes are migrations
(bot/messaging/schema.py). SQLAlchemy Core, so SQLite (the default) and PostgreSQL work alike; every process
opens its own engine from the URL and keeps no state in memory that another instance would need.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

outbox = sa.Table(
    "frontdesk_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    # pending, sending, sent, failed; held: WhatsApp's window is closed (sent when the customer writes again);
    # cancelled: no longer relevant (a held follow-up the customer overtook by writing)
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Float, nullable=False, index=True),
    sa.Column("last_error", sa.String(500)),
    sa.Column("provider_id", sa.String(128)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("sent_at", sa.Float),
    # why the message was held for WhatsApp's window (no_template, twilio_63016 ...); kept after it is sent
    sa.Column("held_reason", sa.String(64)),
    sa.Column("held_at", sa.Float),
    sa.Column("turn_key", sa.String(160), index=True, unique=True),  # "<message>#<reply>.<part>" (TurnReplies)
)
# The outbox's queue per recipient: only unsent rows (sent ones stay until the retention purge), so a claim finds
# each recipient's head at once however long a queue waits behind a retry (bot/messaging/outbox.py).
OUTBOX_UNSENT = "status IN ('pending', 'sending')"
sa.Index("ix_frontdesk_outbox_recipient_queue", outbox.c.recipient, outbox.c.created_at, outbox.c.id,
         sqlite_where=sa.text(OUTBOX_UNSENT), postgresql_where=sa.text(OUTBOX_UNSENT))

inbox = sa.Table(
    "frontdesk_inbox",
    metadata,
    # One row per accepted inbound message, stored before the webhook is acknowledged; the key de-duplicates.
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("external_id", sa.String(128), primary_key=True),  # MessageSid, update_id
    sa.Column("sender", sa.String(255), nullable=False, index=True),  # Rasa's sender id (conversation id)
    sa.Column("payload", sa.JSON, nullable=False),  # the parsed message, secrets already masked
    sa.Column("status", sa.String(16), nullable=False, index=True),  # pending, working, done, failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Float, nullable=False, index=True),  # due time, or lease end while working
    sa.Column("last_error", sa.String(500)),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
)
# The inbox's queue: only unfinished rows (done and failed ones stay for days), in arrival order overall and per
# sender, so a claim reads the few rows at the head of the queue however many rows the table holds
# (bot/messaging/inbox.py). The condition is written as the claim writes it, literal values and all: SQLite uses
# a partial index only for a query whose WHERE holds the same term.
INBOX_UNFINISHED = "status IN ('pending', 'working')"
sa.Index("ix_frontdesk_inbox_queue", inbox.c.channel, inbox.c.received_at, inbox.c.external_id,
         sqlite_where=sa.text(INBOX_UNFINISHED), postgresql_where=sa.text(INBOX_UNFINISHED))
sa.Index("ix_frontdesk_inbox_sender_queue", inbox.c.sender, inbox.c.received_at, inbox.c.external_id,
         sqlite_where=sa.text(INBOX_UNFINISHED), postgresql_where=sa.text(INBOX_UNFINISHED))

delivery = sa.Table(
    "frontdesk_delivery",
    metadata,
    sa.Column("provider_id", sa.String(128), primary_key=True),  # Twilio MessageSid of our outbound message
    sa.Column("status", sa.String(16), nullable=False),  # delivered, failed, undelivered, ...
    sa.Column("updated_at", sa.Float, nullable=False),
)

channel_values = sa.Table(
    "frontdesk_channel_state",
    metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("recipient", sa.String(128), primary_key=True),
    sa.Column("key", sa.String(32), primary_key=True),  # opted_out, options, media
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# --- Conversation records shared by the handoff, feedback, report and CRM features ---
# Times are Unix seconds (float, UTC). `conversation_id` is Rasa's sender id.

handoffs = sa.Table(
    "frontdesk_handoffs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),  # uuid4 hex
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),  # rest, webchat, telegram, sms, whatsapp
    sa.Column("recipient", sa.String(128)),  # the channel's address for the customer (chat id, phone number)
    sa.Column("customer_name", sa.String(128)),
    sa.Column("reason", sa.String(32), nullable=False),  # request, frustration, failures, abuse
    sa.Column("status", sa.String(16), nullable=False, index=True),  # waiting, claimed, resolved, released
    sa.Column("agent", sa.String(128)),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("claimed_at", sa.Float),
    sa.Column("first_agent_reply_at", sa.Float),
    sa.Column("closed_at", sa.Float),  # resolved or released
    sa.Column("summary", sa.JSON, nullable=False),  # the context summary (secrets masked)
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("customer_updated_at", sa.Float),  # when the customer was told nobody had claimed it yet
)

handoff_messages = sa.Table(
    "frontdesk_handoff_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handoff_id", sa.String(36), sa.ForeignKey("frontdesk_handoffs.id"), nullable=False, index=True),
    sa.Column("author", sa.String(16), nullable=False),  # customer, agent, bot, system
    sa.Column("agent", sa.String(128)),
    sa.Column("text", sa.Text, nullable=False),  # secrets masked
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("message_id", sa.String(64)),  # Rasa's message_id of a customer's message (appended once)
    sa.Column("buttons", sa.JSON),  # [{title, payload}] a notice offers (the survey after a resolve), for pages that poll
)

surveys = sa.Table(
    "frontdesk_surveys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # csat (1-5) or nps (0-10)
    sa.Column("score", sa.Integer),  # None: asked but skipped
    sa.Column("comment", sa.Text),  # secrets masked
    sa.Column("handoff_id", sa.String(36)),  # set when the survey followed a handoff
    sa.Column("created_at", sa.Float, nullable=False, index=True),
)

customers = sa.Table(
    "frontdesk_customers",
    metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128)),
    sa.Column("first_seen_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float, nullable=False),
    sa.Column("conversations", sa.Integer, nullable=False, default=1),  # sessions started
)


crm_sync = sa.Table(
    "frontdesk_crm_sync",
    metadata,
    # contact:<conversation id>, note:<conversation id>:<first event id>, ticket:<handoff id>,
    # ticket_closed:<handoff id>: one row per thing written to HubSpot (bot/crm/sync.py)
    sa.Column("key", sa.String(320), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # contact, note, ticket, ticket_closed
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # queued, done
    sa.Column("hubspot_id", sa.String(64)),  # the contact, note or ticket id HubSpot gave back
    sa.Column("outbox_id", sa.Integer),  # the frontdesk_outbox job (channel `hubspot`) doing it
    sa.Column("attempted_at", sa.Float),  # a create was sent whose answer may have been lost
    sa.Column("last_event_id", sa.Integer),  # notes: the conversation's last tracker event id
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

scheduled = sa.Table(
    "frontdesk_scheduled",
    metadata,
    # Messages the assistant writes first, at a time (bot/messaging/schedule.py): a follow-up after a person resolved a
    # handoff, an answer that now exists. Claimed with a lease (status `sending`, due_at = lease end), like the outbox.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # follow_up, new_answer
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(128)),  # the channel's address (None: a polling channel, rest/webchat)
    sa.Column("handoff_id", sa.String(36), index=True),  # the handoff a follow-up is about
    # pending, sending, sent, answered (follow-ups: answer yes, no or problem), cancelled (cancel_reason)
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("due_at", sa.Float, nullable=False, index=True),  # when to send; the lease end while sending
    sa.Column("detail", sa.JSON, nullable=False),  # name, topic, text (secrets masked)
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("sent_at", sa.Float),
    sa.Column("answer", sa.String(16)),  # yes, no, problem
    sa.Column("answered_at", sa.Float),
    sa.Column("cancel_reason", sa.String(32)),  # customer_wrote, opted_out, handoff_reopened, erased ...
)

# --- Agent accounts, desk sessions and the audit log (bot/agents) ---

agents = sa.Table(
    "frontdesk_agents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(32), nullable=False),  # as given; customers read it ("Bob from the <company> team")
    sa.Column("name_key", sa.String(32), nullable=False, unique=True),  # lower-case name: unique whatever the case
    sa.Column("role", sa.String(8), nullable=False),  # agent, lead
    sa.Column("key_id", sa.String(16), nullable=False, unique=True),  # the token's public part, before the dot
    sa.Column("secret_hash", sa.String(60), nullable=False),  # bcrypt of the token's secret part (never the token)
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("token_issued_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),  # None: active
)

agent_sessions = sa.Table(
    "frontdesk_agent_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 hex of the desk cookie's random session id
    sa.Column("agent", sa.String(32), nullable=False, index=True),  # the agent's name_key
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float),  # logged out, or the agent was revoked or given a new token
)

agent_audit = sa.Table(
    "frontdesk_agent_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("agent", sa.String(32)),  # the agent's name; None for a failed login
    sa.Column("action", sa.String(16), nullable=False),  # view, claim, reply, assign, release, resolve, login, ...
    sa.Column("handoff_id", sa.String(36), index=True),
    sa.Column("detail", sa.String(128)),  # e.g. "Ann -> Bob" for assign; never message text or tokens
    sa.Column("address", sa.String(64)),  # the client's address
)


# --- The customer data lifecycle (bot/privacy, docs/customer-data.md): no personal data in either table ---

erasures = sa.Table(
    "frontdesk_erasures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(8), nullable=False),  # forget (a customer's request), purge (retention)
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("requested_by", sa.String(64), nullable=False),  # cli, an agent's name, retention
    sa.Column("contact_hash", sa.String(64), index=True),  # HMAC-SHA256 of the conversation id with a salt; None: purge
    sa.Column("handoff_ids", sa.Text),  # the erased handoffs' random ids, space-separated (the desk answers 410)
    sa.Column("receipt", sa.JSON, nullable=False),  # what was deleted where, counts, time (bot/privacy/erasure.py)
    sa.Column("hubspot_pending", sa.JSON),  # HubSpot object ids still to erase after a failure; None: nothing left
)

daily_summary = sa.Table(
    "frontdesk_daily_summary",
    metadata,
    # The service report's figures of conversations whose records were erased or purged (bot/report/archive.py):
    # per UTC day and channel, anonymous facts (times to the minute, durations, outcomes, scores without comments).
    sa.Column("day", sa.String(10), primary_key=True),  # YYYY-MM-DD (UTC) of the conversation's start or survey
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("conversations", sa.Integer, nullable=False, default=0),
    sa.Column("handed_over", sa.Integer, nullable=False, default=0),
    sa.Column("resolved", sa.Integer, nullable=False, default=0),
    sa.Column("survey_answers", sa.Integer, nullable=False, default=0),
    sa.Column("facts", sa.JSON, nullable=False),  # {"conversations": [...], "surveys": [...], "handoffs": [...]}
    sa.Column("updated_at", sa.Float, nullable=False),
)


# --- Several instances on one database (bot/messaging/instances.py) ---

instances = sa.Table(
    "frontdesk_instances",
    metadata,
    # One row per running `frontdesk run`, renewed every few seconds, removed when it stops (or stale: it died).
    sa.Column("id", sa.String(32), primary_key=True),  # random, per start
    sa.Column("host", sa.String(255), nullable=False),  # the machine's name
    sa.Column("address", sa.String(128), nullable=False),  # where its Rasa server listens, host:port
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("shared_lock", sa.Boolean, nullable=False),  # started with REDIS_URL (the per-conversation lock)
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False, index=True),
)


# --- The knowledge base learning from conversations (bot/learn) ---

kb_suggestions = sa.Table(
    "frontdesk_kb_suggestions",
    metadata,
    # One row per customer wording confirmed for an entry (or linked by an agent), kept after review.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("wording", sa.Text, nullable=False),  # the customer's words, as written
    sa.Column("wording_key", sa.String(255), nullable=False, index=True),  # lower-case words only (bot.learn.wording_key)
    sa.Column("entry_id", sa.String(255), nullable=False, index=True),
    sa.Column("entry_digest", sa.String(64), nullable=False),  # sha256 of the entry's file when suggested
    sa.Column("evidence", sa.String(16), nullable=False),  # clarification, paraphrase, helpful, agent
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # pending, applied, rejected, withdrawn (the customer then said it did not help), dropped (entry deleted), undone
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("decided_by", sa.String(128)),  # an agent's name, `cli`, or `auto`
    sa.Column("decided_at", sa.Float),
    sa.Column("note", sa.String(500)),
)


def tune_sqlite(engine: Engine) -> None:
    """A busy timeout, write-ahead logging (readers work while the assistant writes) and `synchronous=NORMAL`
    (syncs at checkpoints: a commit survives a process crash, a power cut can lose the last few) per connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=5000")  # first: switching a new file to WAL waits for its lock
        for attempt in range(50):  # another process may be creating a new file's tables: the switch to WAL
            try:                   # does not wait on the busy timeout
                cursor.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.1)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def pooled_engine(url: Any, **kwargs: Any) -> Engine:
    """An engine whose SQLite file connections are pooled.

    SQLAlchemy 1.4 opens a file-based SQLite database for every statement
    (NullPool); with our pragmas that cost ~20 ms per insert here, against
    ~0.4 ms pooled. PostgreSQL gets SQLAlchemy's default pool, each connection checked before use.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        kwargs.update(poolclass=sa.pool.QueuePool, pool_size=8, max_overflow=8,
                      connect_args={"check_same_thread": False})
    elif url.get_backend_name() == "postgresql":
        # A restarted or failed-over server leaves dead connections in the pool: test each before use (one
        # round trip), so the first request after an outage works instead of failing.
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    engine = sa.create_engine(url, **kwargs)
    tune_sqlite(engine)
    return engine


def open_database(url: str) -> Engine:
    """An engine for `url`, its schema brought to the newest revision if it is not there yet
    (bot/messaging/schema.py: one query when it is; concurrent processes take turns)."""
    from bot.messaging.schema import ensure_current

    engine = pooled_engine(url, future=True)
    ensure_current(engine)
    return engine


def record_visit(engine: Engine, conversation_id: str, channel: str, name: str | None, now: float) -> dict | None:
    """Count a new session of `conversation_id` in `frontdesk_customers` (insert or update).

    Returns the row as it was before (None for a first-time customer): a
    returning customer has one, and its `name` when this channel gave none.
    """
    c = customers.c
    with engine.begin() as db:
        before = db.execute(sa.select(customers).where(c.conversation_id == conversation_id)).mappings().first()
        if before is None:
            try:
                with db.begin_nested():
                    db.execute(customers.insert().values(conversation_id=conversation_id, channel=channel, name=name,
                                                         first_seen_at=now, last_seen_at=now, conversations=1))
            except sa.exc.IntegrityError:  # a concurrent first message of the same sender won
                pass
            return None
        db.execute(customers.update().where(c.conversation_id == conversation_id).values(
            channel=channel, name=name or before["name"], last_seen_at=now, conversations=c.conversations + 1))
        return dict(before)
