"""Messages in and out, persisted: Frontdesk's tables (store), the inbox and outbox with their workers and
the loop they run on, schema migrations (Alembic), Rasa's tracker store on DATABASE_URL, web visitors'
sessions, and the assistant's markdown as safe HTML for pages (markup).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "BackgroundLoop": "bot.messaging.loop",
    "ChannelState": "bot.messaging.channel_values",
    "HEADER": "bot.messaging.sessions",
    "Inbox": "bot.messaging.inbox",
    "InboxMessage": "bot.messaging.inbox",
    "InboxWorker": "bot.messaging.inbox",
    "Outbox": "bot.messaging.outbox",
    "OutboxWorker": "bot.messaging.outbox",
    "PeriodicTask": "bot.messaging.loop",
    "PermanentSendError": "bot.messaging.outbox",
    "RecipientBlockedError": "bot.messaging.outbox",
    "RetryableSendError": "bot.messaging.outbox",
    "SESSION_CHANNELS": "bot.messaging.sessions",
    "Schedule": "bot.messaging.schedule",
    "Scheduled": "bot.messaging.schedule",
    "Session": "bot.messaging.sessions",
    "WhatsAppWindow": "bot.messaging.window",
    "WindowClosedError": "bot.messaging.outbox",
    "WindowedSender": "bot.messaging.window",
    "SessionSigner": "bot.messaging.sessions",
    "channel_state": "bot.messaging.channel_values",
    "message_html": "bot.messaging.markup",
    "open_database": "bot.messaging.store",
    "record_visit": "bot.messaging.store",
    "session_key": "bot.messaging.sessions",
}
# public modules: store, schema (migrations), instances (several on one database), lock_store (Rasa's)
_MODULES = ('store', 'schema', 'instances', 'lock_store')

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
