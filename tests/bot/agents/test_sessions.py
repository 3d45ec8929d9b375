"""Desk sessions: stored hashed, expire, end at logout, revoke and reset."""

import sqlalchemy as sa
import pytest

from bot.agents import AgentError, DeskSessions
from bot.messaging.store import agent_sessions

NOW = 1_800_000_000.0


@pytest.fixture
def sessions(engine, accounts) -> DeskSessions:
    return DeskSessions(engine, accounts, hours=12)


def stored(engine) -> list[dict]:
    with engine.connect() as db:
        return [dict(r) for r in db.execute(sa.select(agent_sessions)).mappings()]


def test_a_session_id_is_stored_only_as_its_hash(engine, accounts, sessions) -> None:
    agent, _ = accounts.add("Bob")
    session_id = sessions.start(agent, now=NOW)
    [row] = stored(engine)
    assert session_id not in repr(row) and len(row["id_hash"]) == 64
    assert sessions.agent_for(session_id, now=NOW + 60).name == "Bob"


def test_a_session_expires_after_its_hours(accounts, sessions) -> None:
    agent, _ = accounts.add("Bob")
    session_id = sessions.start(agent, now=NOW)
    assert sessions.agent_for(session_id, now=NOW + 12 * 3600 - 1).name == "Bob"
    with pytest.raises(AgentError, match="expired") as error:
        sessions.agent_for(session_id, now=NOW + 12 * 3600)
    assert error.value.status == 401


@pytest.mark.parametrize("ending", ["logout", "revoke", "reset"])
def test_logging_out_revoking_or_resetting_ends_the_session(accounts, sessions, ending) -> None:
    agent, _ = accounts.add("Bob")
    other, _ = accounts.add("Cleo")
    session_id, others = sessions.start(agent, now=NOW), sessions.start(other, now=NOW)
    {"logout": lambda: sessions.end(session_id, now=NOW + 1), "revoke": lambda: accounts.revoke("Bob", now=NOW + 1),
     "reset": lambda: accounts.reset("Bob", now=NOW + 1)}[ending]()
    with pytest.raises(AgentError, match="ended") as error:
        sessions.agent_for(session_id, now=NOW + 2)
    assert error.value.status == 401
    assert sessions.agent_for(others, now=NOW + 2).name == "Cleo"  # nobody else's


def test_unknown_and_missing_session_ids_are_refused(sessions) -> None:
    for session_id in ("", "made-up"):
        with pytest.raises(AgentError) as error:
            sessions.agent_for(session_id, now=NOW)
        assert error.value.status == 401


def test_old_sessions_are_deleted_when_new_ones_start(engine, accounts, sessions) -> None:
    agent, _ = accounts.add("Bob")
    sessions.start(agent, now=NOW)
    sessions.start(agent, now=NOW + 30 * 86400)
    assert len(stored(engine)) == 1
