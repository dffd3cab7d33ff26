"""Copper's documented examples for tasks and related items, replayed (issue 16).

Each example of tests/data/copper_examples/tasks.json and related_items.json is sent to
verdigris after its ``setup`` requests; the answer must have Copper's keys in Copper's
order, and Copper's values except where the example says they are normalised (ids,
user ids, timestamps) or differ (with the reason written in the file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

DATA = Path(__file__).resolve().parent.parent / "data" / "copper_examples"
FILES = ("tasks.json", "related_items.json")
EXAMPLES = [
    pytest.param(example, id=f"{name}: {example['name']}")
    for name in FILES
    for example in json.loads((DATA / name).read_text())["examples"]
]


def _fill(value: Any, saved: dict[str, int]) -> Any:
    """``"{name}"`` placeholders replaced by the ids saved from earlier answers."""
    if isinstance(value, str):
        for key, ident in saved.items():
            if value == "{" + key + "}":
                return ident
            value = value.replace("{" + key + "}", str(ident))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, saved) for v in value]
    return value


def _send(api: Api, step: dict[str, Any], saved: dict[str, int]) -> Any:
    response = api.request(
        step["method"], _fill(step["path"], saved), json=_fill(step.get("body"), saved)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for name, key in step.get("save", {}).items():
        saved[name] = body[key]
    return body


def _compare(got: Any, want: Any, path: str, skip: set[str]) -> None:
    if path in skip:
        return
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert list(got) == list(want), f"{path or 'body'}: keys or their order differ"
        for key in want:
            _compare(got[key], want[key], f"{path}.{key}" if path else key, skip)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _compare(g, w, f"{path}[{i}]", skip)
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_copper_example(api: Api, example: dict[str, Any]) -> None:
    saved: dict[str, int] = {}
    for step in example.get("setup", []):
        _send(api, step, saved)
    got = _send(api, example["request"], saved)
    normalised = set(example.get("normalise", []))
    for path in normalised:
        # a normalised value keeps its JSON type (an id stays a number)
        g, w = got, example["response"]
        for part in path.split("."):
            g, w = g[part], w[part]
        assert type(g) is type(w), path
    _compare(got, example["response"], "", normalised | set(example.get("differs", {})))
    for path in example.get("differs", {}):
        assert path.split(".")[0] in got, path
