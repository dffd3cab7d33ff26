"""Creating custom field definitions over HTTP for tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

OPTION_NAMES = ["Red", "Green", "Blue"]


def make_field(api: Api, data_type: str, **body: Any) -> dict[str, Any]:
    """Create a definition (on leads, filterable, with options/currency as the type needs)."""
    payload: dict[str, Any] = {
        "name": body.pop("name", f"My {data_type}"),
        "data_type": data_type,
        "available_on": ["lead", "person"],
        "is_filterable": True,
    }
    if data_type in ("Dropdown", "MultiSelect"):
        payload["options"] = [{"name": n} for n in OPTION_NAMES]
    if data_type == "Currency":
        payload["currency"] = "CAD"
    payload.update(body)
    response = api.post("/custom_field_definitions", payload)
    assert response.status_code == 200, response.text
    return dict(response.json())


def option_ids(definition: dict[str, Any]) -> list[int]:
    return [o["id"] for o in definition["options"]]


def value_of(lead: dict[str, Any], definition_id: int) -> Any:
    """The ``value`` a lead response shows for one definition (KeyError if absent)."""
    for item in lead["custom_fields"]:
        if item["custom_field_definition_id"] == definition_id:
            return item["value"]
    raise KeyError(definition_id)
