"""docs/errors.md says what the server does: every status, validation code and message it
documents is one the code can produce, and every one the code can produce is documented.

What "the code can produce" means here, read from the catalogue, ``verdigris/wire/
catalogue.py``, where every code and message lives (so a new error needs its catalogue
entry and its docs line):

- statuses: the values of ``verdigris.server.errors.STATUS``, plus 500;
- validation codes: ``catalogue.CODE_TEXT`` (and every code the source hands to
  ``FieldErrors.add``, ``field_failure``, ``ValidationFailed`` or ``ItemFailure`` must be
  one of them, so that messages never show a bare code);
- messages: the catalogue's ``*_MESSAGE`` constants (``{name}`` fields are the parts that
  vary) and ``*_PREFIX`` constants. No error raised in the package (outside the SDK and
  the CLI, which answer no HTTP) is given a message written in place, and Copper's
  validation prefix is written nowhere but in the catalogue: validation messages all
  start with ``VALIDATION_PREFIX``; their ``Field: text`` lines are the code texts.

Placeholders: ``{…}`` in a documented message and an f-string field in the code both
stand for "a part that varies"; messages are compared with those parts blanked out. A
message of the code also counts as documented when docs/errors.md quotes an instance of it
anywhere (in backticks), so a new error merges with just its docs line; every row of the
Messages table, in turn, must be a message of the code.
tests/server/test_error_docs_api.py checks real responses against the same list.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from verdigris.server import errors as server_errors
from verdigris.wire import catalogue

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "verdigris"
DOC = ROOT / "docs" / "errors.md"
#: packages that answer no HTTP request
NOT_SERVED = ("client", "cli")
#: error classes whose first argument is the ``message`` of the response
MESSAGE_ERRORS = {
    "MalformedRequest",
    "NotFound",
    "AlreadyConverted",
    "Unauthenticated",
    "RateLimited",
    "BodyTooLarge",
    "RouteNotFound",
    "MethodNotAllowed",
    "VerdigrisError",
    "Unprocessable",
}
#: validation messages no HTTP request can produce: ``Services.add_user`` is called by the
#: CLI (``verdigris serve --bootstrap-email``, ``verdigris user``) only
CLI_ONLY_VALIDATION = {"{} already belongs to another account"}
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
BLANK = "{}"


# --- reading the docs ------------------------------------------------------------------------


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _section(title: str) -> str:
    text = _doc()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(section: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # the header row


def documented_statuses() -> set[int]:
    table = _doc().split("\n## Validation error codes\n")[0]
    return {int(row[0]) for row in _rows(table)}


def documented_codes() -> set[str]:
    codes = set()
    for row in _rows(_section("Validation error codes")):
        match = re.fullmatch(r"`([a-z_]+)`(?: \(.*\))?", row[0])
        assert match, f"docs/errors.md: not a code cell: {row[0]!r}"
        codes.add(match.group(1))
    return codes


def documented_code_texts() -> dict[str, str]:
    """The ``code "text"`` pairs of the Messages section."""
    return dict(re.findall(r'`([a-z_]+)` "([^"]+)"', _section("Messages")))


def documented_messages() -> dict[str, int]:
    """The Messages table, each message with its placeholders blanked, and its status."""
    messages = {}
    for status, cell in _rows(_section("Messages")):
        match = re.match(r"`([^`]+)`", cell)
        assert match, f"docs/errors.md: a message cell must start with `...`: {cell!r}"
        messages[skeleton(match.group(1))] = int(status)
    return messages


def skeleton(message: str) -> str:
    """A documented message with each ``{…}`` placeholder blanked to ``{}``."""
    # `{"leads": [...]}` is literal text of a message, not a placeholder
    literal = {'{"leads": [...]}': "\0L", '{"person", "company", "opportunity"}': "\0D"}
    for text, mark in literal.items():
        message = message.replace(text, mark)
    message = _PLACEHOLDER.sub(BLANK, message)
    for text, mark in literal.items():
        message = message.replace(mark, text)
    return message


def pattern(blanked: str) -> re.Pattern[str]:
    """A regex matching every message of one skeleton."""
    return re.compile(".+?".join(re.escape(part) for part in blanked.split(BLANK)), re.S)


# --- reading the code ------------------------------------------------------------------------


def _served_modules() -> list[Path]:
    paths = sorted(PACKAGE.rglob("*.py"))
    return [p for p in paths if not set(p.relative_to(PACKAGE).parts) & set(NOT_SERVED)]


def _template(node: ast.expr) -> str | None:
    """A str literal as is, an f-string with its fields blanked; ``None`` otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "\0").replace("}", "\1")  # literal braces stay
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value).replace("{", "\0").replace("}", "\1"))
            else:
                parts.append(BLANK)
        return "".join(parts)
    return None


def _unmark(template: str) -> str:
    return template.replace("\0", "{").replace("\1", "}")


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def code_messages() -> dict[str, str]:
    """Every message the served code can send (the catalogue's), blanked, with its name."""
    found: dict[str, str] = {}
    for name, value in vars(catalogue).items():
        if isinstance(value, str) and name.endswith("_MESSAGE"):
            found.setdefault(skeleton(value), f"catalogue.{name}")
        elif isinstance(value, str) and name.endswith("_PREFIX"):
            found.setdefault(value + BLANK, f"catalogue.{name}")
    return found


def messages_written_in_place() -> dict[str, str]:
    """Messages given as literals (or f-strings) to an error the server answers with."""
    found: dict[str, str] = {}
    for path in _served_modules():
        where = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in MESSAGE_ERRORS and node.args:
                template = _template(node.args[0])
                if template is not None:
                    found.setdefault(_unmark(template), f"{where}:{node.lineno}")
            elif isinstance(node, ast.Call) and _called(node) == "ValidationFailed":
                args = list(node.args[1:2]) + [k.value for k in node.keywords if k.arg == "message"]
                for arg in args:
                    while isinstance(arg, ast.BinOp):  # "..." "..." + "..."
                        arg = arg.left
                    template = _template(arg)
                    if template is not None and _unmark(template) not in CLI_ONLY_VALIDATION:
                        found.setdefault(_unmark(template), f"{where}:{node.lineno}")
    return found


def prefix_written_outside_the_catalogue() -> list[str]:
    """Where the served code spells Copper's validation prefix itself (docstrings aside)."""
    words = catalogue.VALIDATION_PREFIX.strip()
    out = []
    for path in _served_modules():
        if path.name == "catalogue.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and words in node.value
                and id(node) not in docstrings
            ):
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return out


def code_used_codes() -> dict[str, str]:
    """Every validation code the served code writes into an error."""
    used: dict[str, str] = {}

    def note(node: ast.expr, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            used.setdefault(node.value, where)

    for path in _served_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            name = _called(node)
            if name == "add" and len(node.args) >= 2:
                # FieldErrors.add(field, code, note); the filters' add(code, note)
                code = _code_arg(node)
                if code is not None:
                    note(code, where)
            elif name in ("ValidationFailed", "ItemFailure") and node.args:
                if isinstance(node.args[0], ast.Dict):
                    for value in node.args[0].values:
                        if isinstance(value, ast.List):
                            for item in value.elts:
                                note(item, where)
            elif name == "field_failure" and len(node.args) >= 2:
                note(node.args[1], where)
    return used


# --- the checks -------------------------------------------------------------------------------


def test_every_status_the_server_answers_is_documented_and_no_other() -> None:
    produced = set(server_errors.STATUS.values()) | {500}
    assert documented_statuses() == produced


def test_every_validation_code_is_documented_and_no_other() -> None:
    assert documented_codes() == set(catalogue.CODE_TEXT)


def test_every_code_the_code_uses_has_words() -> None:
    unknown = {c: w for c, w in code_used_codes().items() if c not in catalogue.CODE_TEXT}
    assert not unknown, f"codes without a CODE_TEXT entry (and a docs row): {unknown}"


def test_code_texts_are_documented_as_the_code_words_them() -> None:
    documented = documented_code_texts()
    assert documented, "docs/errors.md lists no code texts"
    assert {c: catalogue.CODE_TEXT.get(c) for c in documented} == documented


def quoted_in_docs() -> set[str]:
    """Every backticked text and every ``"message": "..."`` value of docs/errors.md."""
    text = _doc()
    quoted = set(re.findall(r"`([^`]+)`", text)) | set(re.findall(r'"message": "([^"]+)"', text))
    return {" ".join(q.split()) for q in quoted}


def test_every_message_the_code_sends_is_documented() -> None:
    """In the Messages table, or at least quoted somewhere in docs/errors.md (with the
    varying parts filled in), so that a new message merges with just its docs line."""
    table = documented_messages()
    quoted = quoted_in_docs()
    missing = {
        m: w
        for m, w in code_messages().items()
        if m not in table and not any(pattern(m).fullmatch(q) for q in quoted)
    }
    assert not missing, f"messages missing from docs/errors.md (## Messages): {missing}"


def test_every_documented_message_is_one_the_code_sends() -> None:
    produced = code_messages()
    invented = [m for m in documented_messages() if m not in produced]
    assert not invented, f"docs/errors.md documents messages the code never sends: {invented}"


def test_every_message_comes_from_the_catalogue() -> None:
    assert not messages_written_in_place()


def test_the_validation_prefix_is_written_only_in_the_catalogue() -> None:
    assert not prefix_written_outside_the_catalogue()


@pytest.mark.parametrize(
    "example",
    sorted(
        set(re.findall(r"`(Invalid input: Validation errors: [^`]+)`", _doc()))
        | set(re.findall(r'"message": "(Invalid input: Validation errors: [^"]+)"', _doc()))
    ),
)
def test_validation_examples_in_the_docs_are_well_formed(example: str) -> None:
    """An example is a known message (the unknown-key one), or ``Field: text`` with a
    code's words and, in parentheses, details of the kind the code writes."""
    example = " ".join(example.split())
    if pattern(catalogue.UNRECOGNIZED_PREFIX + BLANK).fullmatch(example):
        return
    if "{" in example:
        return  # the generic form of the Messages table
    body = example.removeprefix(catalogue.VALIDATION_PREFIX)
    match = re.fullmatch(r"([A-Z][a-z ]*): ([^(]+?)(?: \((.+)\))?", body, re.S)
    assert match, example
    assert match.group(2) in catalogue.CODE_TEXT.values(), example
    if match.group(3):
        assert any(pattern(n).fullmatch(match.group(3)) for n in code_notes()), example


_CODE = re.compile(r"[a-z_]+")


def _is_code(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(_CODE.fullmatch(str(node.value)))


def _code_arg(node: ast.Call) -> ast.expr | None:
    """The code of an ``add`` call: ``add(field, code, note)`` or ``add(code, note)``."""
    first, second = node.args[0], node.args[1]
    if _is_code(second):
        return second
    if isinstance(second, ast.Constant | ast.JoinedStr) and _is_code(first):
        return first
    return None


def code_notes() -> set[str]:
    """The details the code appends to validation messages (the note given to ``add``)."""
    notes = set()
    for path in _served_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _called(node) == "add"):
                continue
            args = node.args[2:3] if len(node.args) >= 3 else node.args[1:2]
            for arg in args:
                template = None if _is_code(arg) else _template(arg)
                if template is not None:
                    notes.add(_unmark(template))
    return notes
