"""Agent accounts on a real SQLite database: tokens, hashes, revoke, reset, AGENT_TOKEN's lead."""

import sqlalchemy as sa
import pytest

from bot.agents import AgentAccounts, AgentError
from bot.agents.accounts import BCRYPT_ROUNDS
from bot.messaging.store import agents
from tests.bot.agents.conftest import FAST_ROUNDS


def rows(engine) -> list[dict]:
    with engine.connect() as db:
        return [dict(r) for r in db.execute(sa.select(agents)).mappings()]


def test_a_new_agent_gets_a_token_that_is_stored_only_as_a_bcrypt_hash(engine, accounts) -> None:
    agent, token = accounts.add("Bob", "agent")
    assert (agent.name, agent.role, agent.active) == ("Bob", "agent", True)
    key_id, _, secret = token.partition(".")
    [row] = rows(engine)
    assert row["key_id"] == key_id and row["secret_hash"].startswith("$2b$")
    dump = repr(rows(engine))
    assert secret not in dump and token not in dump
    assert accounts.authenticate(token).name == "Bob"


def test_the_default_cost_is_slow_enough_to_matter(engine) -> None:
    assert BCRYPT_ROUNDS >= 12
    AgentAccounts(engine).add("Slow")
    assert rows(engine)[0]["secret_hash"].startswith(f"$2b${BCRYPT_ROUNDS}$")


@pytest.mark.parametrize("token", ["", "nonsense", "abc.def", ".secret", "key."])
def test_wrong_tokens_are_refused_with_401(accounts, token) -> None:
    accounts.add("Bob")
    with pytest.raises(AgentError) as error:
        accounts.authenticate(token)
    assert error.value.status == 401


def test_the_right_key_id_with_a_wrong_secret_is_refused(accounts) -> None:
    _, token = accounts.add("Bob")
    key_id = token.split(".")[0]
    with pytest.raises(AgentError, match="wrong"):
        accounts.authenticate(f"{key_id}.{'x' * 43}")


def test_a_revoked_token_stops_working_even_after_it_was_checked_once(accounts) -> None:
    _, token = accounts.add("Bob")
    assert accounts.authenticate(token).name == "Bob"  # now remembered in memory
    assert accounts.revoke("bob").revoked_at is not None
    with pytest.raises(AgentError, match="revoked") as error:
        accounts.authenticate(token)
    assert error.value.status == 401
    assert accounts.active("Bob") is None and not accounts.any_active()


def test_a_reset_kills_the_old_token_and_reactivates_a_revoked_account(accounts) -> None:
    _, old = accounts.add("Bob")
    accounts.authenticate(old)
    accounts.revoke("Bob")
    agent, new = accounts.reset("BOB")
    assert agent.active and new != old
    assert accounts.authenticate(new).name == "Bob"
    with pytest.raises(AgentError, match="wrong or replaced"):
        accounts.authenticate(old)


def test_names_are_unique_whatever_their_case_and_must_be_sane(accounts) -> None:
    accounts.add("Bob")
    with pytest.raises(AgentError, match="already exists") as error:
        accounts.add("bob")
    assert error.value.status == 409
    for bad in ["", "b ob", "1bob", "bob<script>", "x" * 33]:
        with pytest.raises(AgentError, match="not a valid agent name"):
            accounts.add(bad)
    with pytest.raises(AgentError, match="role"):
        accounts.add("Cleo", "admin")


def test_unknown_names_are_404_and_revoking_twice_is_409(accounts) -> None:
    for action in (accounts.revoke, accounts.reset, accounts.get):
        with pytest.raises(AgentError) as error:
            action("nobody")
        assert error.value.status == 404
    accounts.add("Bob")
    accounts.revoke("Bob")
    with pytest.raises(AgentError) as error:
        accounts.revoke("Bob")
    assert error.value.status == 409


def test_agent_token_is_a_lead_account_that_is_not_stored(engine) -> None:
    env_token = "e" * 32
    accounts = AgentAccounts(engine, env_token=env_token, env_name="lead", rounds=FAST_ROUNDS)
    lead = accounts.authenticate(env_token)
    assert (lead.name, lead.role, lead.from_env) == ("lead", "lead", True)
    assert accounts.any_active() and rows(engine) == []
    assert [a.name for a in accounts.listing()] == ["lead"]
    with pytest.raises(AgentError, match="AGENT_TOKEN's account"):
        accounts.add("Lead")
    with pytest.raises(AgentError, match="AGENT_TOKEN"):
        accounts.revoke("lead")
    assert not AgentAccounts(engine, rounds=FAST_ROUNDS).any_active()


def test_the_remembered_check_is_tied_to_the_stored_hash(engine, accounts) -> None:
    _, token = accounts.add("Bob")
    accounts.authenticate(token)
    with engine.begin() as db:  # the row's hash changes under a running process (another instance's reset)
        db.execute(agents.update().values(secret_hash=AgentAccounts(engine, rounds=FAST_ROUNDS)._hash("other")))
    with pytest.raises(AgentError):
        accounts.authenticate(token)
