"""Frontdesk's schema migrations (Alembic): `frontdesk db upgrade`, run by `frontdesk run` and by `open_database`.

The revisions live in bot/messaging/migrations/versions/, one file per change, applied in order; the version
applied is kept in the table `frontdesk_schema_version`. A database made before migrations existed (tables
created by `create_all`) is brought forward by the baseline revision, which creates only what is missing.
Upgrades are serialised between processes: a PostgreSQL advisory lock, or a lock file next to a SQLite file.
A new table or column: change bot/messaging/store.py, then `frontdesk db revision "what changed"` writes the
next revision with the difference; read it, and `tests/bot/messaging/test_schema.py` checks the two agree.
"""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "frontdesk_schema_version"
LOCK_KEY = 0x46726F6E74  # "Front": the advisory lock every instance takes while it upgrades


def ours(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's filter: only Frontdesk's tables (Rasa's tracker store keeps `events` in the same database)."""
    return type_ != "table" or (bool(name) and name.startswith("frontdesk_") and name != VERSION_TABLE)


def _config(connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision `engine`'s database is at; None for an empty database or one made before migrations."""
    with engine.connect() as db:
        if not sa.inspect(db).has_table(VERSION_TABLE):
            return None
        return db.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


@contextlib.contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """For a SQLite file: an exclusive lock on `<file>.migrate-lock`, held until the upgrade has committed."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Apply every revision up to `target`; returns (revision before, revision after)."""
    from alembic import command

    from alembic.migration import MigrationContext

    with _file_lock(engine), engine.begin() as db:
        if engine.dialect.name == "postgresql":  # released when this transaction ends
            db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        before = MigrationContext.configure(db, opts={"version_table": VERSION_TABLE}).get_current_revision()
        command.upgrade(_config(db), target)
    return before, current_revision(engine)


def ensure_current(engine: Engine) -> None:
    """Upgrade `engine`'s database unless it is already at the newest revision (one query when it is)."""
    if current_revision(engine) != _head():
        upgrade(engine)


_HEAD: list[str] = []


def _head() -> str:
    if not _HEAD:
        _HEAD.append(head_revision())
    return _HEAD[0]


def write_revision(message: str) -> str:
    """`frontdesk db revision`: write the next revision file with what bot/messaging/store.py declares and the
    newest revision lacks (Alembic's autogenerate on a scratch SQLite database); returns its path. Read it."""
    import tempfile

    from alembic import command

    with tempfile.TemporaryDirectory() as folder:
        engine = sa.create_engine(f"sqlite:///{folder}/scratch.db", future=True)
        upgrade(engine)
        number = len(list((MIGRATIONS / "versions").glob("[0-9]*.py"))) + 1
        with engine.begin() as db:
            script = command.revision(_config(db), message=message, autogenerate=True, rev_id=f"{number:04d}")
        engine.dispose()
    return script.path


def shown(url: str) -> str:
    """`url` as it may be printed: its password as ***."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(not a database URL)"


def upgrade_database(url: str) -> tuple[str | None, str]:
    """`frontdesk db upgrade`: bring the database at `url` to the newest revision.

    Raises SetupError with one line naming the URL (password hidden) when it cannot be reached."""
    from bot.errors import SetupError
    from bot.messaging.store import pooled_engine

    try:
        engine = pooled_engine(url, future=True)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise SetupError(f"DATABASE_URL {shown(url)} is not usable: {error}") from None
    try:
        return upgrade(engine)
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unreachable"
        raise SetupError(f"cannot reach the database at {shown(url)}: {reason}") from None
    finally:
        engine.dispose()
