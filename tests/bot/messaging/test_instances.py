"""Several instances on one database: without the shared lock (REDIS_URL) a second one is refused with one
line; with it on every instance they run together; a dead instance's row does not block a restart."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.errors import SetupError
from bot.messaging.instances import STALE_S, register
from bot.messaging.store import instances, open_database
from bot.ops.cli import main
from tests.servers import database_url, free_port, postgres  # noqa: F401 - fixtures


def test_a_second_instance_without_redis_is_refused_with_one_line(database_url: str) -> None:  # noqa: F811
    engine = open_database(database_url)
    register(engine, "10.0.0.1:5005", shared_lock=False)
    with pytest.raises(SetupError) as refused:
        register(open_database(database_url), "10.0.0.2:5005", shared_lock=False)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("another Frontdesk instance uses this database (10.0.0.1:5005 on ")
    assert "several instances need REDIS_URL" in message


def test_an_instance_with_redis_is_refused_while_one_without_it_runs(database_url: str) -> None:  # noqa: F811
    engine = open_database(database_url)
    register(engine, "10.0.0.1:5005", shared_lock=False)
    with pytest.raises(SetupError, match="without REDIS_URL .*10.0.0.1:5005"):
        register(engine, "10.0.0.2:5005", shared_lock=True)


def test_instances_that_all_have_redis_run_together(database_url: str) -> None:  # noqa: F811
    engine = open_database(database_url)
    first = register(engine, "10.0.0.1:5005", shared_lock=True)
    register(engine, "10.0.0.2:5005", shared_lock=True)
    first.leave()
    with engine.connect() as db:
        assert db.execute(sa.select(instances.c.address)).scalars().all() == ["10.0.0.2:5005"]


def test_a_dead_instance_does_not_block_a_new_one(database_url: str) -> None:  # noqa: F811
    engine = open_database(database_url)
    now = time.time()
    register(engine, "10.0.0.1:5005", shared_lock=False, now=now - STALE_S - 1)  # stopped renewing: died elsewhere
    with engine.begin() as db:  # killed on this machine a moment ago: its pid is gone
        db.execute(instances.insert().values(id="x" * 32, host=socket.gethostname(), address="127.0.0.1:5005",
                                             pid=2 ** 22 + 12345, shared_lock=False, started_at=now, seen_at=now))
    register(engine, "127.0.0.1:5006", shared_lock=False, now=now)


def run_env(monkeypatch, tmp_path: Path, **extra: str) -> None:
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RASA_PORT", str(free_port()))
    monkeypatch.setenv("ACTIONS_PORT", str(free_port()))
    for name, value in extra.items():
        monkeypatch.setenv(name, value)


def test_run_with_an_unreachable_redis_says_so_in_one_line_without_the_password(monkeypatch, tmp_path, capsys) -> None:
    run_env(monkeypatch, tmp_path, REDIS_URL=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "hunter2" not in err
    assert err.startswith("frontdesk: cannot reach Redis at redis://:***@127.0.0.1:")


def test_run_with_an_unreachable_database_says_so_in_one_line_without_the_password(monkeypatch, tmp_path, capsys) -> None:
    run_env(monkeypatch, tmp_path, DATABASE_URL=f"postgresql://fd:hunter2@127.0.0.1:{free_port()}/fd")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "hunter2" not in err
    assert err.startswith("frontdesk: cannot reach the database at postgresql://fd:***@127.0.0.1:")
