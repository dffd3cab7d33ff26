"""A worker freezes what it built at start-up out of the garbage collector's full passes
(verdigris.server.app.freeze_startup_objects); what it makes later is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from verdigris.server.app import app_from_env


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process goes on collecting everything


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_a_worker_freezes_its_start_up_objects(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERDIGRIS_DB", f"sqlite:///{tmp_path / 'w.db'}")
    assert gc.get_freeze_count() == 0
    app = app_from_env()
    try:
        # the app and everything reachable at start-up: routes, tables, the store...
        assert gc.get_freeze_count() > 10_000
        assert gc.get_freeze_count() > len(gc.get_objects()) // 2
        # ...while garbage made afterwards is collected as before
        cycle = Node()
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None
    finally:
        app.state.runtime.store.close()
