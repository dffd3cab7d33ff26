"""Copper's documented /webhooks examples (tests/data/copper_examples/webhooks.json),
replayed in order on both engines: each answer has the example's keys, in its order, and
its values (the subscription's id and ``created_at`` normalised)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Api

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "copper_examples" / "webhooks.json"
NORMALISED = {"id": 0, "created_at": 0}


def _normalise(value: Any) -> Any:
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: NORMALISED.get(k, _normalise(v)) for k, v in value.items()}
    return value


def _keys(value: Any) -> Any:
    if isinstance(value, list):
        return [_keys(v) for v in value]
    if isinstance(value, dict):
        return [(k, _keys(v)) for k, v in value.items()]
    return None


def test_copper_examples_replay(api: Api) -> None:
    examples = json.loads(EXAMPLES.read_text())["examples"]
    assert examples[0]["url"].startswith("https://developer.copper.com/webhooks/")
    made: int | None = None
    for example in examples:
        path = example["path"].replace("{id}", str(made))
        response = api.request(example["method"], path, example["request"])
        assert response.status_code == example["status"], (example["name"], response.text)
        got = response.json()
        if made is None:
            made = got["id"]
        expected = example["response"]
        assert _keys(got) == _keys(expected), example["name"]
        assert _normalise(got) == _normalise(expected), example["name"]
