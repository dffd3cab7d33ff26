"""What every SQLite connection is set to (verdigris.store.sqlite)."""

from __future__ import annotations

from pathlib import Path

from verdigris.store import open_store
from verdigris.store.sql import SqlStore
from verdigris.store.sqlite import WAL_AUTOCHECKPOINT_PAGES


def test_connections_use_wal_full_sync_and_a_larger_checkpoint(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'settings.db'}")
    assert isinstance(store, SqlStore)
    try:
        with store.engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "wal_autocheckpoint", "foreign_keys")
            }
    finally:
        store.close()
    # synchronous 2 = FULL: in WAL mode every commit waits for the disk, so it survives an
    # OS crash or power cut too (durable, the default; fast is NORMAL, tests/store/
    # test_durability.py)
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "wal_autocheckpoint": WAL_AUTOCHECKPOINT_PAGES,
        "foreign_keys": 1,
    }
    assert WAL_AUTOCHECKPOINT_PAGES > 1000  # SQLite's default
