"""Rasa's SQL tracker store, configured by one SQLAlchemy database URL.

Rasa's own `SQLTrackerStore` takes dialect, host, port and db separately;
every other Frontdesk store takes a `DATABASE_URL`. This adapter lets
endpoints.yml say `url: ${DATABASE_URL}` so that SQLite (the default) and
PostgreSQL are one setting apart. It runs inside the Rasa server process.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine.url import make_url

from sqlalchemy.orm import sessionmaker

from bot.messaging.store import pooled_engine


def url_to_tracker_store_kwargs(url: str) -> dict[str, Any]:
    """Split a SQLAlchemy URL into the keyword arguments SQLTrackerStore takes."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"dialect": parsed.drivername, "db": parsed.database}
    if parsed.host:
        kwargs["host"] = parsed.host
    if parsed.port:
        kwargs["port"] = parsed.port
    if parsed.username:
        kwargs["username"] = parsed.username
    if parsed.password:
        kwargs["password"] = parsed.password
    if parsed.query:
        kwargs["query"] = dict(parsed.query)
    return kwargs


class URLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that takes `url:` (a SQLAlchemy database URL).

    Rasa passes a custom store's `url:` as the `host` keyword argument.
    """

    def __init__(self, domain: Any = None, host: str = "", event_broker: Any = None, **kwargs: Any) -> None:
        url = host
        if not url:
            raise ValueError("tracker_store.url is empty: set DATABASE_URL or leave it unset for SQLite")
        super().__init__(domain=domain, event_broker=event_broker, **url_to_tracker_store_kwargs(url), **kwargs)
        if self.engine.dialect.name in ("sqlite", "postgresql"):
            # SQLite: Rasa's engine opens the file (and would run our pragmas) for every query, on the event
            # loop; a pooled engine makes a tracker read or write about 20x cheaper here. PostgreSQL: connections
            # checked before use, so the store works again by itself after the server was away.
            self.engine.dispose()
            self.engine = pooled_engine(self.engine.url)
            self.sessionmaker = sessionmaker(bind=self.engine)
