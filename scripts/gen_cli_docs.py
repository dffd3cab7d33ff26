#!/usr/bin/env python3
"""Generate the flag tables of docs/cli.md from the ``verdigris`` argument parser.

Each command's table sits between two markers, the rest of the page is prose kept by hand:

    <!-- BEGIN GENERATED: verdigris leads import -->
    ...
    <!-- END GENERATED -->

Run ``scripts/gen_cli_docs.py`` after changing a flag; ``--check`` (run by scripts/check, and
tests/test_cli_docs.py) fails when the page is stale or a command has no table.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"
BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<command>[^>]*?) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)",
    re.S,
)


def commands(parser: argparse.ArgumentParser, prefix: str) -> dict[str, argparse.ArgumentParser]:
    """Every leaf command under ``parser`` by its full name (``verdigris leads import``)."""
    found: dict[str, argparse.ArgumentParser] = {}
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {prefix: parser}
    for action in subs:
        for name, sub in action.choices.items():
            found.update(commands(sub, f"{prefix} {name}"))
    return found


def _flag(action: argparse.Action) -> str:
    if action.metavar is not None:
        metavar = str(action.metavar)
    elif action.choices is not None:
        metavar = "\\|".join(str(choice) for choice in action.choices)  # | ends a cell
    else:
        metavar = action.dest.upper()
    if not action.option_strings:
        return f"`{metavar}`"
    takes_value = action.nargs != 0
    names = [
        f"`{name} {metavar}`" if takes_value else f"`{name}`" for name in action.option_strings
    ]
    if takes_value and len(names) > 1:  # --output FILE, -o
        names[1:] = [f"`{name}`" for name in action.option_strings[1:]]
    return ", ".join(names)


def table(parser: argparse.ArgumentParser) -> str:
    rows = ["| flag | meaning |", "| --- | --- |"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        meaning = " ".join((action.help or "").split()) % {"default": action.default}
        meaning = meaning.replace("|", "\\|").replace("<", "\\<")  # no cell end, no HTML
        rows.append(f"| {_flag(action)} | {meaning} |")
    return "\n".join(rows) + "\n"


def render(doc: str) -> str:
    """``doc`` with every generated block rewritten from the parser."""
    from verdigris.cli import build_parser

    found = commands(build_parser(), "verdigris")
    seen: set[str] = set()

    def block(match: re.Match[str]) -> str:
        command = match.group("command")
        if command not in found:
            raise SystemExit(f"docs/cli.md has a table for {command!r}, which is no command")
        seen.add(command)
        return match.group(1) + table(found[command]) + match.group(4)

    text = BLOCK.sub(block, doc)
    missing = sorted(found.keys() - seen)
    if missing:
        raise SystemExit(f"docs/cli.md has no generated table for {', '.join(missing)}")
    return text


def main(argv: list[str]) -> int:
    doc = DOC.read_text()
    wanted = render(doc)
    if "--check" in argv:
        if doc != wanted:
            print("docs/cli.md is stale: run scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
