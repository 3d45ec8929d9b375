"""Schema migrations: a new database, one made before migrations (SQLite and PostgreSQL), the tables declared in
bot/messaging/store.py against what the revisions make, and `frontdesk db upgrade`."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.messaging import schema
from bot.messaging.store import metadata, open_database, pooled_engine
from bot.ops.cli import main
from tests.servers import at_once, postgres, postgres_url  # noqa: F401 - fixtures

HEAD = schema.head_revision()


def differences(engine) -> list:
    with engine.connect() as db:
        return compare_metadata(MigrationContext.configure(db, opts={"include_name": schema.ours}), metadata)


def pre_migration_database(url: str) -> sa.engine.Engine:
    """A database as `open_database` left it before migrations (the baseline's tables, no version table), from a
    version that lacked a later nullable column (`frontdesk_handoffs.customer_updated_at`), with a handoff in it."""
    engine = pooled_engine(url, future=True)
    schema.upgrade(engine, "0001")
    with engine.begin() as db:
        db.execute(sa.text(f"DROP TABLE {schema.VERSION_TABLE}"))
        db.execute(sa.text("DROP INDEX ix_frontdesk_outbox_status"))
        db.execute(sa.text("ALTER TABLE frontdesk_handoffs DROP COLUMN customer_updated_at"))
        db.execute(sa.text("INSERT INTO frontdesk_handoffs (id, conversation_id, channel, reason, status, created_at,"
                           " summary, updated_at) VALUES ('h1', 'rest:a', 'rest', 'request', 'waiting', 1, '{}', 1)"))
    return engine


def upgraded_keeps_rows(url: str) -> None:
    old = pre_migration_database(url)
    assert schema.current_revision(old) is None
    assert schema.upgrade_database(url) == (None, HEAD)
    engine = open_database(url)
    assert schema.current_revision(engine) == HEAD
    assert differences(engine) == []
    with engine.connect() as db:
        row = db.execute(sa.text("SELECT conversation_id, customer_updated_at FROM frontdesk_handoffs")).one()
    assert tuple(row) == ("rest:a", None)
    assert schema.upgrade_database(url) == (HEAD, HEAD)  # a second upgrade changes nothing


def test_a_new_sqlite_database_gets_every_declared_table_at_the_newest_revision(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert schema.current_revision(engine) == HEAD
    assert differences(engine) == [], "store.py and the revisions differ: add a revision (frontdesk db revision)"


def test_a_sqlite_database_made_before_migrations_is_upgraded_in_place(tmp_path: Path) -> None:
    upgraded_keeps_rows(f"sqlite:///{tmp_path / 'old.db'}")


def test_a_new_postgresql_database_gets_every_declared_table(postgres_url: str) -> None:  # noqa: F811
    engine = open_database(postgres_url)
    assert schema.current_revision(engine) == HEAD
    assert differences(engine) == [], "store.py and the revisions differ on PostgreSQL: add a revision"


def test_a_postgresql_database_made_before_migrations_is_upgraded_in_place(postgres_url: str) -> None:  # noqa: F811
    upgraded_keeps_rows(postgres_url)


def test_instances_upgrading_one_postgresql_database_at_once_take_turns(postgres_url: str) -> None:  # noqa: F811
    results, errors = at_once(4, lambda: schema.upgrade_database(postgres_url))
    assert errors == [] and [after for _, after in results] == [HEAD] * 4
    assert [before for before, _ in results].count(None) == 1  # one upgraded; the others found it done


def test_db_upgrade_command_reports_the_revision(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("FRONTDESK_STATE_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == (f"Database sqlite:///{tmp_path / 'frontdesk.db'}: schema revision {HEAD} "
                                       "(upgraded from no revision)\n")
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.endswith("(already there)\n")


def test_db_upgrade_of_an_unreachable_database_is_one_line_without_the_password(monkeypatch, capsys) -> None:
    from tests.servers import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql://frontdesk:s3cret@127.0.0.1:{free_port()}/frontdesk")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "s3cret" not in err
    assert err.startswith("frontdesk: cannot reach the database at postgresql://frontdesk:***@127.0.0.1:")


def test_suggestion_keys_are_folded_again_as_kb_check_folds_questions(tmp_path: Path) -> None:
    engine = pooled_engine(f"sqlite:///{tmp_path / 'fd.db'}", future=True)
    schema.upgrade(engine, "0006")
    with engine.begin() as db:  # a key as 0006's code made it: inner punctuation kept
        db.execute(sa.text("INSERT INTO frontdesk_kb_suggestions (wording, wording_key, entry_id, entry_digest, evidence,"
                           " conversation_id, created_at, status) VALUES ('When will my Top-up go through?',"
                           " 'when will my top-up go through', 'pending_top_up', 'd', 'helpful', 'rest:a', 1, 'pending')"))
    schema.upgrade(engine, "0007")
    with engine.connect() as db:
        assert db.execute(sa.text("SELECT wording_key FROM frontdesk_kb_suggestions")).scalar_one() \
            == "when will my top up go through"
