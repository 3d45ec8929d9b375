"""Small per-customer values a channel keeps in `frontdesk_channel_state` (bot/messaging/store.py), shared by every
instance: STOP opt-outs, numbered options on offer, media kept for an agent, the CRM sync's scan marks."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.messaging.store import channel_values


class ChannelState:
    """Small per-customer values a channel needs across requests and instances
    (STOP opt-outs, numbered options on offer, media kept for an agent)."""

    def __init__(self, engine: Engine, channel: str) -> None:
        self.engine = engine
        self.channel = channel

    def _where(self, recipient: str, key: str):
        c = channel_values.c
        return sa.and_(c.channel == self.channel, c.recipient == recipient, c.key == key)

    def get(self, recipient: str, key: str) -> Any:
        with self.engine.connect() as db:
            return db.execute(sa.select(channel_values.c.value).where(self._where(recipient, key))).scalar()

    def put(self, recipient: str, key: str, value: Any) -> None:
        """Set `key` for `recipient`; None removes it."""
        with self.engine.begin() as db:
            db.execute(channel_values.delete().where(self._where(recipient, key)))
            if value is not None:
                db.execute(channel_values.insert().values(channel=self.channel, recipient=recipient, key=key,
                                                          value=value, updated_at=time.time()))

    def append(self, recipient: str, key: str, items: list) -> None:
        with self.engine.begin() as db:
            current = db.execute(sa.select(channel_values.c.value).where(self._where(recipient, key))).scalar() or []
            db.execute(channel_values.delete().where(self._where(recipient, key)))
            db.execute(channel_values.insert().values(channel=self.channel, recipient=recipient, key=key,
                                                      value=list(current) + list(items), updated_at=time.time()))


def channel_state(engine: Engine, channel: str) -> ChannelState:
    return ChannelState(engine, channel)
