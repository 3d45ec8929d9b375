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
