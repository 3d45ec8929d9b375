"""`frontdesk agents ...` on a temporary database, as an operator types it."""

import pytest

from bot.agents import AgentAccounts, AuditLog
from bot.ops.cli import main
from bot.messaging.store import open_database


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path))
    return f"sqlite:///{tmp_path / 'frontdesk.db'}"


def frontdesk(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(["agents", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_add_prints_a_working_token_as_the_last_line(database, capsys) -> None:
    code, lines, _ = frontdesk(capsys, "add", "Bob", "--role", "lead")
    assert code == 0 and "Bob (lead)" in lines[0]
    agent = AgentAccounts(open_database(database)).authenticate(lines[-1])
    assert (agent.name, agent.role) == ("Bob", "lead")


@pytest.mark.parametrize("argv, reason", [
    (("add", "bob"), "already exists"), (("revoke", "nobody"), "no agent named"), (("reset", "nobody"), "no agent named"),
    (("add", "two words"), "not a valid agent name")])
def test_duplicates_unknown_and_bad_names_are_one_line_errors(database, capsys, argv, reason) -> None:
    frontdesk(capsys, "add", "Bob")
    code, lines, err = frontdesk(capsys, *argv)
    assert code == 1 and lines == [] and reason in err and len(err.strip().splitlines()) == 1


def test_list_revoke_and_reset(database, capsys, monkeypatch) -> None:
    _, first, _ = frontdesk(capsys, "add", "Bob")
    frontdesk(capsys, "add", "Cleo")
    assert frontdesk(capsys, "revoke", "bob")[0] == 0
    monkeypatch.setenv("AGENT_TOKEN", "e" * 24)
    _, listed, _ = frontdesk(capsys, "list")
    rows = {line.split()[0]: line for line in listed[1:]}
    assert "AGENT_TOKEN" in rows["lead"] and "revoked" in rows["Bob"] and "active" in rows["Cleo"]
    assert first[-1] not in "\n".join(listed)
    code, reset, _ = frontdesk(capsys, "reset", "Bob")
    accounts = AgentAccounts(open_database(database))
    assert code == 0 and accounts.authenticate(reset[-1]).name == "Bob"


def test_audit_prints_what_agents_did(database, capsys) -> None:
    AuditLog(open_database(database)).record("claim", "Bob", "h123", address="127.0.0.1")
    code, lines, _ = frontdesk(capsys, "audit", "--since", "1d")
    assert code == 0 and "Bob" in lines[0] and "claim" in lines[0] and "h123" in lines[0]
    assert frontdesk(capsys, "audit", "--since", "soon")[0] == 1
