"""docs/cli.md's flag tables are generated from the parser (scripts/gen_cli_docs.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_docs_are_generated_from_the_parser() -> None:
    gen = _generator()
    doc = gen.DOC.read_text()
    assert gen.render(doc) == doc, "docs/cli.md is stale: run scripts/gen_cli_docs.py"


def test_every_command_has_a_generated_table() -> None:
    gen = _generator()
    doc = gen.DOC.read_text()
    start = doc.index("<!-- BEGIN GENERATED: verdigris db upgrade -->")
    end = doc.index("<!-- END GENERATED -->", start) + len("<!-- END GENERATED -->")
    with pytest.raises(SystemExit, match="no generated table for verdigris db upgrade"):
        gen.render(doc[:start] + doc[end:])
