"""The ``verdigris leads`` commands: documented, and their progress bar."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from verdigris.cli import build_parser
from verdigris.cli.importer import Summary
from verdigris.cli.leads import BarProgress
from verdigris.cli.presets import PRESETS

DOC = Path(__file__).parent.parent.parent / "docs" / "cli.md"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_docs_cover_every_leads_action_and_flag() -> None:
    doc = DOC.read_text()
    leads = _subcommands(build_parser())["leads"]
    actions = _subcommands(leads)
    assert {"import"} <= actions.keys()
    for name, sub in actions.items():
        assert f"verdigris leads {name}" in doc, name
        for option in sub._actions:
            for flag in option.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert f"`{flag}" in doc, (name, flag)


def test_progress_bar_shows_rate_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    bar = BarProgress(100)
    bar.bar.disable = False
    summary = Summary()
    for _ in range(50):
        summary.rows += 1
        summary.successes += 1
        bar.advance(summary)
    bar.bar.refresh()
    bar.close()
    err = capsys.readouterr().err
    assert "50/100" in err and "rows/s" in err and "ok=50" in err


def test_moving_from_another_crm_has_a_command_per_crm(capsys: pytest.CaptureFixture[str]) -> None:
    doc = DOC.read_text()
    section = doc[doc.index("## Moving from another CRM") :]
    section = section[: section.index("\n## ", 1)]
    for crm in PRESETS:
        assert re.search(rf"^verdigris leads import \S+\.csv --from {crm}\b", section, re.M), crm
    with pytest.raises(SystemExit):
        build_parser().parse_args(["leads", "import", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--from {copper,hubspot,pipedrive,salesforce}" in help_text
    assert "--dry-run show the mapping, check every row" in help_text
    assert "--ignore-unmapped skip columns that map to no field" in help_text
