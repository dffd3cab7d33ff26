"""Custom field values on leads over HTTP, per data type, through every write endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, lead_count
from tests.server.custom_field_helpers import make_field, option_ids, value_of
from verdigris.store.base import Store

OPS = ["create", "update", "bulk_update", "upsert"]

# (data_type, value sent, value shown); "#n" stands for the id of option n, "'#n" for it as
# a string
VALID = [
    ("String", "hello", "hello"),
    ("String", "x" * 255, "x" * 255),
    ("Text", "long text " * 100, "long text " * 100),
    ("URL", "https://example.com/path", "https://example.com/path"),
    ("Dropdown", "#1", "#1"),
    ("Dropdown", "'#2", "#2"),
    ("MultiSelect", ["#2", "#0"], ["#0", "#2"]),
    ("MultiSelect", ["'#1"], ["#1"]),
    ("Date", 1515744000, 1515744000),
    ("Checkbox", True, True),
    ("Float", 42.5, 42.5),
    ("Float", 42, 42.0),
    ("Percentage", 50, 50),
    ("Currency", 1000, 1000.0),
    # a number for a String, Text or URL field is stored as its decimal string (a CLI
    # client sends ``--field 1=42`` as a JSON number)
    ("String", 42, "42"),
    ("Text", 4.5, "4.5"),
    ("URL", 7.0, "7"),
]
INVALID = [
    ("String", "x" * 256),
    ("String", True),
    ("Text", {"a": 1}),
    ("URL", ["https://example.com"]),
    ("Dropdown", 99999999),
    ("Dropdown", "Red"),
    ("MultiSelect", "#0"),
    ("MultiSelect", ["#0", 99999999]),
    ("Date", "tomorrow"),
    ("Date", 1.5),
    ("Checkbox", "yes"),
    ("Float", "lots"),
    ("Percentage", True),
    ("Currency", "$5"),
]


def resolve(value: Any, ids: list[int]) -> Any:
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("'#"):
        return str(ids[int(value[2:])])
    if isinstance(value, str) and value.startswith("#"):
        return ids[int(value[1:])]
    return value


def write(api: Api, op: str, definition_id: int, value: Any) -> tuple[int, dict[str, Any], int]:
    """Send one custom value through ``op``: ``(status, lead or error body, lead id)``.

    For update and bulk_update a lead is created first (its id is returned); otherwise
    the lead id is that of the lead written, or 0.
    """
    cf = [{"custom_field_definition_id": definition_id, "value": value}]
    if op == "create":
        r = api.post("/leads", {"name": "Typed", "custom_fields": cf})
        return r.status_code, r.json(), r.json().get("id", 0)
    if op == "upsert":
        body = {
            "properties": {"name": "Typed", "custom_fields": cf},
            "match": {"field_name": "email", "field_value": "typed@example.com"},
        }
        r = api.put("/leads/upsert", body)
        return r.status_code, r.json(), r.json().get("id", 0)
    lead = api.create_lead(name="Typed")
    if op == "update":
        r = api.put(f"/leads/{lead['id']}", {"custom_fields": cf})
        return r.status_code, r.json(), lead["id"]
    r = api.post("/leads/bulk_update", {"leads": [{"id": lead["id"], "custom_fields": cf}]})
    assert r.status_code == 200
    item = r.json()[0]
    return (422 if item.get("success") is False else 200), item, lead["id"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(("data_type", "sent", "shown"), VALID)
def test_valid_value(api: Api, op: str, data_type: str, sent: Any, shown: Any) -> None:
    definition = make_field(api, data_type)
    ids = option_ids(definition) if "options" in definition else []
    status, lead, lead_id = write(api, op, definition["id"], resolve(sent, ids))
    assert status == 200, lead
    expected = resolve(shown, ids)
    assert value_of(lead, definition["id"]) == expected
    assert type(value_of(lead, definition["id"])) is type(expected)
    assert value_of(api.get(f"/leads/{lead_id}").json(), definition["id"]) == expected


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(("data_type", "sent"), INVALID)
def test_invalid_value(api: Api, store: Store, op: str, data_type: str, sent: Any) -> None:
    definition = make_field(api, data_type, name=f"The {data_type}")
    ids = option_ids(definition) if "options" in definition else []
    status, body, lead_id = write(api, op, definition["id"], resolve(sent, ids))
    assert status == 422, body
    if op == "bulk_update":
        assert body["message"] == {"custom_fields": [{"error": "invalid"}]}
        assert body["id"] == lead_id
    else:
        assert body["errors"] == {"custom_fields": [{"error": "invalid"}]}
        assert f"'The {data_type}' ({definition['id']})" in body["message"]
        assert data_type in body["message"]
    if op in ("create", "upsert"):
        assert lead_count(store) == 0
    else:
        lead = api.get(f"/leads/{lead_id}").json()
        assert value_of(lead, definition["id"]) in (None, [], False)
        assert lead_count(store) == 1


def test_definition_id_may_be_a_string(api: Api) -> None:
    definition = make_field(api, "String")
    lead = api.create_lead(
        name="S",
        custom_fields=[{"custom_field_definition_id": str(definition["id"]), "value": "v"}],
    )
    assert value_of(lead, definition["id"]) == "v"


def test_unknown_definition_is_422_naming_the_id(api: Api) -> None:
    response = api.post(
        "/leads",
        {"name": "x", "custom_fields": [{"custom_field_definition_id": 7654321, "value": "v"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"custom_fields": [{"error": "not_found"}]}
    assert "7654321" in response.json()["message"]


def test_definition_not_on_leads_is_422_naming_it(api: Api) -> None:
    people_only = make_field(api, "String", name="Person Only", available_on=["person"])
    response = api.post(
        "/leads",
        {
            "name": "x",
            "custom_fields": [{"custom_field_definition_id": people_only["id"], "value": "v"}],
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == {"custom_fields": [{"error": "not_available"}]}
    assert f"'Person Only' ({people_only['id']})" in body["message"]
    assert "not available on leads" in body["message"]


def test_every_lead_lists_every_lead_definition(api: Api) -> None:
    fields = {t: make_field(api, t) for t in ("String", "MultiSelect", "Checkbox", "Date")}
    make_field(api, "String", name="People only", available_on=["person"])
    lead = api.create_lead(name="Bare")
    shown = lead["custom_fields"]
    assert [f["custom_field_definition_id"] for f in shown] == [
        f["id"] for f in fields.values()
    ]  # definition id order
    assert [f["value"] for f in shown] == [None, [], False, None]
    assert list(shown[0]) == ["custom_field_definition_id", "value"]


def test_update_merges_by_definition_and_null_clears(api: Api) -> None:
    a = make_field(api, "String", name="A")
    b = make_field(api, "Float", name="B")
    c = make_field(api, "MultiSelect", name="C")
    d = make_field(api, "Checkbox", name="D")
    lead = api.create_lead(
        name="Merge",
        custom_fields=[
            {"custom_field_definition_id": a["id"], "value": "a"},
            {"custom_field_definition_id": b["id"], "value": 1},
            {"custom_field_definition_id": c["id"], "value": option_ids(c)[:1]},
            {"custom_field_definition_id": d["id"], "value": True},
        ],
    )
    response = api.put(
        f"/leads/{lead['id']}",
        {
            "custom_fields": [
                {"custom_field_definition_id": str(b["id"]), "value": 2.5},
                {"custom_field_definition_id": a["id"], "value": None},
            ]
        },
    )
    assert response.status_code == 200
    updated = response.json()
    assert value_of(updated, a["id"]) is None
    assert value_of(updated, b["id"]) == 2.5
    assert value_of(updated, c["id"]) == option_ids(c)[:1]
    assert value_of(updated, d["id"]) is True
    cleared = api.put(
        f"/leads/{lead['id']}",
        {
            "custom_fields": [
                {"custom_field_definition_id": c["id"], "value": []},
                {"custom_field_definition_id": d["id"], "value": False},
            ]
        },
    ).json()
    assert value_of(cleared, c["id"]) == [] and value_of(cleared, d["id"]) is False
    assert value_of(cleared, b["id"]) == 2.5


def test_full_object_echo_is_accepted(api: Api) -> None:
    for data_type in ("String", "Dropdown", "MultiSelect", "Checkbox", "Float", "Date"):
        make_field(api, data_type)
    lead = api.create_lead(name="Echo")
    echoed = api.put(f"/leads/{lead['id']}", lead)
    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["custom_fields"] == lead["custom_fields"]


def test_bulk_update_fails_only_the_bad_item(api: Api) -> None:
    definition = make_field(api, "Float")
    one = api.create_lead(name="One")
    two = api.create_lead(name="Two")
    results = api.post(
        "/leads/bulk_update",
        {
            "leads": [
                {
                    "id": one["id"],
                    "custom_fields": [
                        {"custom_field_definition_id": definition["id"], "value": "x"}
                    ],
                },
                {
                    "id": str(two["id"]),
                    "custom_fields": [
                        {"custom_field_definition_id": str(definition["id"]), "value": "7"}
                    ],
                },
            ]
        },
    ).json()
    assert results[0] == {
        "success": False,
        "message": {"custom_fields": [{"error": "invalid"}]},
        "id": one["id"],
    }
    assert value_of(results[1], definition["id"]) == 7.0


# --- computed values (?custom_field_computed_values=true) ---------------------------------


def test_computed_values_on_request(api: Api) -> None:
    dropdown = make_field(api, "Dropdown")
    multi = make_field(api, "MultiSelect")
    text = make_field(api, "String")
    empty = make_field(api, "Dropdown", name="Unset")
    lead = api.create_lead(
        name="Computed",
        custom_fields=[
            {"custom_field_definition_id": dropdown["id"], "value": option_ids(dropdown)[1]},
            {"custom_field_definition_id": multi["id"], "value": option_ids(multi)[::2]},
            {"custom_field_definition_id": text["id"], "value": "example text"},
        ],
    )
    assert all("computed_value" not in f for f in lead["custom_fields"])
    shown = api.get(f"/leads/{lead['id']}?custom_field_computed_values=true").json()
    assert shown["custom_fields"] == [
        {
            "custom_field_definition_id": dropdown["id"],
            "value": option_ids(dropdown)[1],
            "computed_value": "Green",
        },
        {
            "custom_field_definition_id": multi["id"],
            "value": option_ids(multi)[::2],
            "computed_value": ["Red", "Blue"],
        },
        {
            "custom_field_definition_id": text["id"],
            "value": "example text",
            "computed_value": "example text",
        },
        {"custom_field_definition_id": empty["id"], "value": None, "computed_value": None},
    ]
    off = api.get(f"/leads/{lead['id']}?custom_field_computed_values=false").json()
    assert off == lead


@pytest.mark.parametrize("op", OPS)
def test_computed_values_on_every_lead_write(api: Api, op: str) -> None:
    dropdown = make_field(api, "Dropdown")
    cf = [{"custom_field_definition_id": dropdown["id"], "value": option_ids(dropdown)[2]}]
    query = "?custom_field_computed_values=true"
    if op == "create":
        lead = api.post("/leads" + query, {"name": "C", "custom_fields": cf}).json()
    elif op == "update":
        lead = api.create_lead(name="C")
        lead = api.put(f"/leads/{lead['id']}{query}", {"custom_fields": cf}).json()
    elif op == "bulk_update":
        lead = api.create_lead(name="C")
        body: dict[str, Any] = {"leads": [{"id": lead["id"], "custom_fields": cf}]}
        lead = api.post("/leads/bulk_update" + query, body).json()[0]
    else:
        body = {"properties": {"name": "C"}, "match": {"field_name": "name", "field_value": "C"}}
        lead = api.put(
            "/leads/upsert" + query, {**body, "properties": {"name": "C", "custom_fields": cf}}
        ).json()
    assert lead["custom_fields"][0]["computed_value"] == "Blue"
