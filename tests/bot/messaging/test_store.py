"""Opening the database: both servers do it as they start, at the same moment on a new database."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

from bot.messaging.store import metadata, open_database


def test_processes_opening_a_new_database_at_once_all_get_its_tables(tmp_path: Path) -> None:
    for attempt in range(5):  # the race needs the CREATEs to meet: try a few new databases
        url = f"sqlite:///{tmp_path / f'new-{attempt}.db'}"
        start, errors, engines = threading.Barrier(4), [], []

        def open_it() -> None:
            start.wait()
            try:
                engines.append(open_database(url))  # a new engine, as another process would have
            except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
                errors.append(error)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert set(metadata.tables) <= set(sa.inspect(engines[0]).get_table_names())
