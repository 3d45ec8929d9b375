"""A real database per test and an account store with fast bcrypt (the cost factor is the only difference)."""

import pytest

from bot.agents import AgentAccounts
from bot.messaging.store import open_database

FAST_ROUNDS = 4


@pytest.fixture
def engine(tmp_path):
    return open_database(f"sqlite:///{tmp_path / 'frontdesk.db'}")


@pytest.fixture
def accounts(engine) -> AgentAccounts:
    return AgentAccounts(engine, rounds=FAST_ROUNDS)
