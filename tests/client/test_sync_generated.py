"""The blocking client is generated from the asynchronous one (scripts/gen_sync.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_sync", ROOT / "scripts" / "gen_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sync_client_is_generated_from_the_async_one() -> None:
    gen = _generator()
    wanted = gen.render(gen.SOURCE.read_text())
    assert gen.TARGET.read_text() == wanted, "sync.py is stale: run scripts/gen_sync.py"


def test_the_generated_client_has_the_async_methods() -> None:
    from verdigris.client import AsyncClient, Client

    def public(cls: type) -> set[str]:
        return {name for name in vars(cls) if not name.startswith("_")}

    assert public(AsyncClient) - {"aclose"} == public(Client) - {"close"}
