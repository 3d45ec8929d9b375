"""Rasa's tracker store from one DATABASE_URL: the URL split into its arguments, and a conversation kept in PostgreSQL."""

from tests.servers import postgres, postgres_url  # noqa: F401 - fixtures
from bot.messaging.tracker_store import url_to_tracker_store_kwargs


def test_sqlite_url() -> None:
    assert url_to_tracker_store_kwargs("sqlite:////tmp/x/frontdesk.db") == {"dialect": "sqlite", "db": "/tmp/x/frontdesk.db"}


def test_postgres_url_with_credentials_and_query() -> None:
    kwargs = url_to_tracker_store_kwargs("postgresql://bot:pw@db.local:5433/frontdesk?sslmode=require")
    assert kwargs == {
        "dialect": "postgresql",
        "db": "frontdesk",
        "host": "db.local",
        "port": 5433,
        "username": "bot",
        "password": "pw",
        "query": {"sslmode": "require"},
    }


def test_the_tracker_store_keeps_a_conversation_on_postgresql(postgres_url: str) -> None:  # noqa: F811
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.messaging.tracker_store import URLTrackerStore

    store = URLTrackerStore(domain=Domain.empty(), host=postgres_url)
    assert store.engine.dialect.name == "postgresql"
    tracker = DialogueStateTracker.from_events("rest:ana", [
        ActionExecuted("action_listen"), UserUttered("where is my order?", {"name": "faq"}), SlotSet("kb_answered", "x")])

    async def save_and_read():
        await store.save(tracker)
        return await URLTrackerStore(domain=Domain.empty(), host=postgres_url).retrieve("rest:ana")

    again = asyncio.run(save_and_read())
    assert [type(e).__name__ for e in again.events] == ["ActionExecuted", "UserUttered", "SlotSet"]
    assert again.latest_message.text == "where is my order?"
