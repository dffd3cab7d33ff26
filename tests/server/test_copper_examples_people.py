"""Copper's documented people and companies examples, replayed (issue 21).

``tests/data/copper_examples/people.json`` and ``companies.json`` hold the request and
answer of each example (page URLs in the files). Each runs on a fresh account: its
``setup`` requests first (``$user_id`` is the caller's id, ``$last_id`` the id the previous
request answered), then the example's request, whose answer must hold every key of
Copper's, in Copper's order, with Copper's values once ids and timestamps are normalised.
Keys under ``ignore`` are the ones where Copper's example contradicts its own request or
names its demo account's definitions; the reason is written next to each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "copper_examples"


def _examples() -> list[Any]:
    out = []
    for name in ("people", "companies"):
        for example in json.loads((EXAMPLES / f"{name}.json").read_text())["examples"]:
            out.append(pytest.param(example, id=f"{name}: {example['name']}"))
    return out


def _fill(value: Any, slots: dict[str, Any]) -> Any:
    if isinstance(value, str) and value in slots:
        return slots[value]
    if isinstance(value, str):
        for slot, filled in slots.items():
            value = value.replace(slot, str(filled))
        return value
    if isinstance(value, list):
        return [_fill(v, slots) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, slots) for k, v in value.items()}
    return value


def _normal(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if (key == "id" or key.endswith("_id")) and isinstance(value, int):
        return "<id>"
    if key.startswith("date_") and isinstance(value, int):
        return "<time>"
    if isinstance(value, dict):
        return {k: _normal(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(key, v) for v in value]
    return value


def _holds(copper: Any, ours: Any, ignore: dict[str, str], where: str) -> None:
    """Every key of Copper's object in ours, in the same order, with the same value."""
    if isinstance(copper, list):
        assert isinstance(ours, list) and len(ours) == len(copper), where
        for i, (c, o) in enumerate(zip(copper, ours, strict=True)):
            _holds(c, o, ignore, f"{where}[{i}]")
        return
    assert isinstance(ours, dict), where
    keys = [k for k in copper if k not in ignore]
    assert [k for k in ours if k in keys] == keys, f"{where}: keys or their order differ"
    for key in keys:
        assert _normal(key, ours[key]) == _normal(key, copper[key]), f"{where}.{key}"


@pytest.mark.parametrize("example", _examples())
def test_copper_example(api: Api, example: dict[str, Any]) -> None:
    slots: dict[str, Any] = {"$user_id": api.principal.user_id}
    for method, path, body in example.get("setup", []):
        response = api.request(method, _fill(path, slots), _fill(body, slots))
        assert response.status_code == 200, response.text
        slots["$last_id"] = response.json()["id"]
    response = api.request(
        example["method"], _fill(example["path"], slots), _fill(example["request"], slots)
    )
    assert response.status_code == example["status"], response.text
    _holds(example["response"], response.json(), example["ignore"], example["name"])
