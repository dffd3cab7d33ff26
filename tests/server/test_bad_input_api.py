"""Bad input gets a 4xx in Copper's shape, never a 500, and nothing is written (issue 14).

Every test runs on SQLite and PostgreSQL (the ``api`` fixture's store), over HTTP.
"""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest

from tests.conftest import Api, lead_count
from tests.helpers import add_definition
from verdigris.domain.values import MAX_CUSTOM_FILTERS, MAX_LIST_VALUES
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore

BIG = 2**63  # one past the largest signed 64-bit integer
NUL = "\u0000"


def rows(store: Store, table: str) -> int:
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def copper_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The body of a Copper error with this status (``success``, ``status``, ``message``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


def field_errors(response: httpx.Response) -> dict[str, list[dict[str, str]]]:
    """The ``errors`` of a 422, in Copper's ``{field: [{"error": code}]}`` shape."""
    body = copper_error(response, 422)
    assert body["message"].startswith("Invalid input: Validation errors: ")
    return dict(body["errors"])


def raw(api: Api, method: str, path: str, content: bytes) -> httpx.Response:
    headers = {**api.headers, "Content-Type": "application/json"}
    # the TestClient answers with httpx2's Response where httpx2 is installed (same API)
    response: Any = api.client.request(
        method, "/developer_api/v1" + path, content=content, headers=headers
    )
    return response  # type: ignore[no-any-return]


# --- integers past signed 64 bits ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/leads/{}"),
        ("PUT", "/leads/{}"),
        ("DELETE", "/leads/{}"),
        ("POST", "/leads/{}/convert"),
        ("POST", "/leads/{}/activities"),
        ("GET", "/people/{}"),
        ("DELETE", "/companies/{}"),
        ("GET", "/opportunities/{}"),
        ("GET", "/users/{}"),
        ("PUT", "/custom_field_definitions/{}"),
    ],
)
def test_a_path_id_past_64_bits_is_not_found(
    api: Api, store: Store, method: str, path: str
) -> None:
    lead = api.create_lead(name="Kept")
    response = api.request(method, path.format(BIG), {"name": "Changed", "details": {}})
    assert copper_error(response, 404)["message"] == "Resource not found"
    assert api.get(f"/leads/{lead['id']}").json() == lead
    assert lead_count(store) == 1


@pytest.mark.parametrize("key", ["assignee_id", "customer_source_id", "status_id"])
def test_a_reference_past_64_bits_is_422(api: Api, store: Store, key: str) -> None:
    errors = field_errors(api.post("/leads", {"name": "Big", key: BIG}))
    assert set(errors) == {key}
    assert lead_count(store) == 0


def test_a_bulk_item_id_past_64_bits_fails_alone(api: Api) -> None:
    lead = api.create_lead(name="Kept")
    response = api.post(
        "/leads/bulk_update",
        {"leads": [{"id": BIG, "name": "Changed"}, {"id": lead["id"], "title": "T"}]},
    )
    assert response.status_code == 200, response.text
    failed, updated = response.json()
    assert failed == {"success": False, "message": {"id": [{"error": "invalid"}]}, "id": None}
    assert updated["title"] == "T" and updated["name"] == "Kept"


@pytest.mark.parametrize("sent", ["--5", "\u00b2", "1-2"])
def test_an_id_string_that_is_no_number_is_422_everywhere(
    api: Api, store: Store, sent: str
) -> None:
    """One id parser (domain/values.py): ``"--5"`` and a superscript two used to pass a
    digit check that ``int()`` then refused, a 500."""
    assert set(field_errors(api.post("/leads", {"name": "Id", "status_id": sent}))) == {"status_id"}
    lead = api.create_lead(name="Kept")
    response = api.post("/leads/bulk_update", {"leads": [{"id": sent, "title": "T"}]})
    assert response.status_code == 200, response.text
    assert response.json()[0]["message"] == {"id": [{"error": "invalid"}]}
    search = {"ids": [sent]}
    assert set(field_errors(api.post("/leads/search", search))) == {"ids"}
    custom = {"custom_fields": [{"custom_field_definition_id": sent, "value": 1}]}
    assert set(field_errors(api.post("/leads/search", custom))) == {"custom_fields"}
    activities = {"page_size": sent}
    assert set(field_errors(api.post(f"/leads/{lead['id']}/activities", activities))) == {
        "page_size"
    }
    assert lead_count(store) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"ids": [BIG]},
        {"ids": [1, -BIG - 1]},
        {"assignee_ids": [BIG]},
        {"status_ids": str(BIG)},
        {"customer_source_ids": [BIG]},
        {"minimum_created_date": BIG},
        {"maximum_modified_date": -(10**30)},
        {"minimum_interaction_date": float(BIG) * 4},
        {"maximum_interaction_count": 10**400},
        {"age": BIG},
        {"page_number": BIG},
        {"page_size": BIG},
    ],
)
def test_a_search_number_past_64_bits_is_422(api: Api, params: dict[str, Any]) -> None:
    api.create_lead(name="Found")
    errors = field_errors(api.post("/leads/search", params))
    assert set(errors) == set(params)
    assert errors[next(iter(params))][0]["error"] in ("invalid", "invalid_type")


def test_a_search_number_past_64_bits_in_the_query_string_is_422(api: Api) -> None:
    errors = field_errors(api.post("/leads/search", params={"page_number": str(BIG)}))
    assert set(errors) == {"page_number"}


def test_a_custom_field_definition_id_past_64_bits_is_422(api: Api, store: Store) -> None:
    body = {"name": "Big", "custom_fields": [{"custom_field_definition_id": BIG, "value": 1}]}
    assert set(field_errors(api.post("/leads", body))) == {"custom_fields"}
    search = {"custom_fields": [{"custom_field_definition_id": BIG, "value": 1}]}
    assert set(field_errors(api.post("/leads/search", search))) == {"custom_fields"}
    assert lead_count(store) == 0


@pytest.mark.parametrize(
    "details",
    [
        {"person": {"contact_type_id": BIG}},
        {"person": {"assignee_id": BIG}},
        {"company": {"id": BIG}},
        {"opportunity": {"pipeline_id": BIG}},
        {"opportunity": {"pipeline_stage_id": BIG}},
        {"opportunity": {"monetary_value": "inf"}},
        {"opportunity": {"monetary_value": 10**400}},
    ],
)
def test_a_conversion_with_numbers_out_of_range_is_422(
    api: Api, store: Store, details: dict[str, Any]
) -> None:
    lead = api.create_lead(name="Ada Lovelace", company_name="Analytical")
    field_errors(api.post(f"/leads/{lead['id']}/convert", {"details": details}))
    assert api.get(f"/leads/{lead['id']}").json() == lead
    assert rows(store, "people") == 0
    assert rows(store, "companies") == 0
    assert rows(store, "opportunities") == 0


# --- numbers that are not finite -----------------------------------------------------------

NOT_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", 10**400, -(10**400)]


@pytest.mark.parametrize("value", NOT_FINITE)
def test_a_monetary_value_that_is_not_finite_is_422(api: Api, store: Store, value: Any) -> None:
    errors = field_errors(api.post("/leads", {"name": "Rich", "monetary_value": value}))
    assert errors == {"monetary_value": [{"error": "invalid"}]}
    assert lead_count(store) == 0
    lead = api.create_lead(name="Kept", monetary_value=5)
    field_errors(api.put(f"/leads/{lead['id']}", {"monetary_value": value}))
    assert api.get(f"/leads/{lead['id']}").json() == lead


@pytest.mark.parametrize("value", NOT_FINITE)
def test_a_float_custom_field_that_is_not_finite_is_422(api: Api, store: Store, value: Any) -> None:
    def_id = add_definition(store, api.principal.account_id, "Score", "Float")
    body = {"name": "F", "custom_fields": [{"custom_field_definition_id": def_id, "value": value}]}
    assert field_errors(api.post("/leads", body)) == {"custom_fields": [{"error": "invalid"}]}
    assert lead_count(store) == 0
    assert rows(store, "lead_custom_values") == 0


def test_a_huge_number_that_is_finite_is_kept(api: Api) -> None:
    """The bound is the double's: a 300-digit integer is a finite monetary value."""
    lead = api.create_lead(name="Rich", monetary_value=10**300)
    assert lead["monetary_value"] == 1e300


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", 10**400])
def test_a_search_bound_that_is_not_finite_is_422(api: Api, value: Any) -> None:
    errors = field_errors(api.post("/leads/search", {"minimum_monetary_value": value}))
    assert errors == {"minimum_monetary_value": [{"error": "invalid"}]}


# --- JSON nested too deeply ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        b'{"name": "x", "custom_fields": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    ],
    ids=["arrays", "objects", "inside-a-lead"],
)
def test_a_body_nested_too_deeply_is_the_malformed_body_400(
    api: Api, store: Store, content: bytes
) -> None:
    lead = api.create_lead(name="Kept")
    malformed = copper_error(raw(api, "POST", "/leads", b'{"name": '), 400)["message"]
    prefix = malformed.split(":")[0]
    assert prefix == "Malformed JSON in request body"
    for method, path in (("POST", "/leads"), ("PUT", f"/leads/{lead['id']}")):
        body = copper_error(raw(api, method, path, content), 400)
        assert body["message"].startswith(prefix + ": ")
    for path in ("/leads/bulk_create", "/leads/search", "/custom_field_definitions"):
        copper_error(raw(api, "POST", path, content), 400)
    assert lead_count(store) == 1
    assert api.get(f"/leads/{lead['id']}").json() == lead


# --- NUL characters and text longer than its column ----------------------------------------


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("name", {"name": f"Ada{NUL}"}),
        ("first_name", {"first_name": f"A{NUL}da", "last_name": "L"}),
        ("title", {"name": "Ada", "title": NUL}),
        ("details", {"name": "Ada", "details": f"notes{NUL}"}),
        ("email", {"name": "Ada", "email": {"email": f"a{NUL}@example.com"}}),
        ("address", {"name": "Ada", "address": {"city": f"Savannah{NUL}"}}),
        ("phone_numbers", {"name": "Ada", "phone_numbers": [{"number": f"555{NUL}"}]}),
        ("websites", {"name": "Ada", "websites": [{"url": f"x.com{NUL}"}]}),
        ("tags", {"name": "Ada", "tags": ["ok", f"t{NUL}"]}),
        ("monetary_unit", {"name": "Ada", "monetary_unit": f"US{NUL}"}),
        ("status", {"name": "Ada", "status": f"New{NUL}"}),
        ("unknown", {"name": "Ada", "unknown": f"ignored{NUL}"}),
    ],
)
def test_a_nul_character_in_a_lead_is_422(
    api: Api, store: Store, field: str, body: dict[str, Any]
) -> None:
    assert field_errors(api.post("/leads", body)) == {field: [{"error": "invalid"}]}
    assert lead_count(store) == 0
    lead = api.create_lead(name="Kept")
    assert field_errors(api.put(f"/leads/{lead['id']}", body)) == {field: [{"error": "invalid"}]}
    assert set(field_errors(api.post("/leads/bulk_create", {"leads": [body]}))) == {"leads"}
    assert api.get(f"/leads/{lead['id']}").json() == lead
    assert lead_count(store) == 1


def test_a_nul_character_in_a_custom_field_value_is_422(api: Api, store: Store) -> None:
    def_id = add_definition(store, api.principal.account_id, "Note", "String")
    body = {"name": "Ada", "custom_fields": [{"custom_field_definition_id": def_id, "value": NUL}]}
    assert field_errors(api.post("/leads", body)) == {"custom_fields": [{"error": "invalid"}]}
    assert lead_count(store) == 0


@pytest.mark.parametrize(
    ("field", "params"),
    [
        ("name", {"name": f"A{NUL}"}),
        ("city", {"city": NUL}),
        ("state", {"state": f"GA{NUL}"}),
        ("postal_code", {"postal_code": f"1{NUL}"}),
        ("country", {"country": f"US{NUL}"}),
        ("emails", {"emails": [f"a{NUL}@example.com"]}),
        ("tags", {"tags": [f"t{NUL}"]}),
        ("tags", {"tags": {"option": "ANY", "value": [f"t{NUL}"]}}),
        ("phone_number", {"phone_number": f"555{NUL}"}),
        ("sort_by", {"sort_by": f"name{NUL}"}),
    ],
)
def test_a_nul_character_in_a_search_filter_is_422(
    api: Api, field: str, params: dict[str, Any]
) -> None:
    api.create_lead(name="Ada", address={"city": "Savannah"})
    assert field_errors(api.post("/leads/search", params)) == {field: [{"error": "invalid"}]}


def test_a_nul_character_in_the_query_string_is_422(api: Api) -> None:
    errors = field_errors(api.post("/leads/search", params={"city": f"Sav{NUL}"}))
    assert errors == {"city": [{"error": "invalid"}]}


def test_a_nul_character_elsewhere_is_422(api: Api, store: Store) -> None:
    lead = api.create_lead(name="Ada Lovelace", email={"email": "ada@example.com"})
    upsert = {"properties": {"title": "T"}, "match": {"field_name": "name", "field_value": NUL}}
    assert set(field_errors(api.put("/leads/upsert", upsert))) == {"match"}
    convert = {"details": {"person": {"name": f"Ada{NUL}"}}}
    assert set(field_errors(api.post(f"/leads/{lead['id']}/convert", convert))) == {"details"}
    definition = {"name": f"Size{NUL}", "data_type": "String"}
    assert set(field_errors(api.post("/custom_field_definitions", definition))) == {"name"}
    assert api.get(f"/leads/{lead['id']}").json() == lead
    assert rows(store, "people") == 0
    assert rows(store, "custom_field_definitions") == 0


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("email", {"email": {"email": "a" * 250 + "@example.com"}}),
        ("address", {"address": {"street": "s" * 256}}),
        ("address", {"address": {"city": "c" * 256}}),
        ("address", {"address": {"state": "s" * 256}}),
        ("address", {"address": {"country": "c" * 256}}),
        ("address", {"address": {"postal_code": "1" * 65}}),
    ],
)
def test_text_longer_than_its_column_is_too_long(
    api: Api, store: Store, field: str, body: dict[str, Any]
) -> None:
    errors = field_errors(api.post("/leads", {"name": "Ada", **body}))
    assert errors == {field: [{"error": "too_long"}]}
    assert lead_count(store) == 0
    lead = api.create_lead(name="Kept")
    assert field_errors(api.put(f"/leads/{lead['id']}", body)) == {field: [{"error": "too_long"}]}
    assert api.get(f"/leads/{lead['id']}").json() == lead


def test_text_as_long_as_its_column_is_stored(api: Api) -> None:
    address = {
        "street": "s" * 255,
        "city": "c" * 255,
        "state": "t" * 255,
        "postal_code": "1" * 64,
        "country": "u" * 255,
    }
    email = "a" * 243 + "@example.com"
    lead = api.create_lead(name="Ada", email={"email": email}, address=address)
    assert lead["address"] == address
    assert lead["email"]["email"] == email


# --- list filters over the cap -------------------------------------------------------------


@pytest.mark.parametrize("size", [MAX_LIST_VALUES + 1, 65_536])
@pytest.mark.parametrize("key", ["ids", "assignee_ids", "status_ids", "emails", "tags"])
def test_a_search_list_over_the_cap_is_422(api: Api, key: str, size: int) -> None:
    values: list[Any] = [f"t{i}" if key in ("emails", "tags") else i + 1 for i in range(size)]
    response = api.post("/leads/search", {key: values})
    assert "Retry-After" not in response.headers
    assert field_errors(response) == {key: [{"error": "invalid"}]}
    assert f"at most {MAX_LIST_VALUES:,} values" in response.json()["message"]


@pytest.mark.parametrize("size", [MAX_LIST_VALUES + 1, 65_536])
def test_a_custom_field_option_list_over_the_cap_is_422(api: Api, store: Store, size: int) -> None:
    options = [{"id": 1, "name": "a", "rank": 0}]
    def_id = add_definition(store, api.principal.account_id, "Size", "Dropdown", options=options)
    search = {"custom_fields": [{"custom_field_definition_id": def_id, "value": [1] * size}]}
    response = api.post("/leads/search", search)
    assert field_errors(response) == {"custom_fields": [{"error": "invalid"}]}
    assert f"at most {MAX_LIST_VALUES:,} ids" in response.json()["message"]


def test_more_custom_field_filters_than_the_cap_is_422(api: Api, store: Store) -> None:
    def_id = add_definition(store, api.principal.account_id, "Score", "Float")
    one = {"custom_field_definition_id": def_id, "minimum_value": 1}
    assert api.post("/leads/search", {"custom_fields": [one] * MAX_CUSTOM_FILTERS}).json() == []
    response = api.post("/leads/search", {"custom_fields": [one] * (MAX_CUSTOM_FILTERS + 1)})
    assert field_errors(response) == {"custom_fields": [{"error": "invalid"}]}
    assert f"at most {MAX_CUSTOM_FILTERS} filters" in response.json()["message"]


def test_a_search_list_at_the_cap_is_answered(api: Api) -> None:
    lead = api.create_lead(name="Ada")
    ids = [lead["id"], *range(10**9, 10**9 + MAX_LIST_VALUES - 1)]
    response = api.post("/leads/search", {"ids": ids})
    assert response.status_code == 200, response.text
    assert [found["id"] for found in response.json()] == [lead["id"]]


# --- 405 and the OpenAPI document ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/leads/1", "DELETE, GET, HEAD, PUT"),
        ("POST", "/leads/1", "DELETE, GET, HEAD, PUT"),
        ("GET", "/leads", "POST"),
        ("DELETE", "/leads/search", "POST"),
        ("PATCH", "/custom_field_definitions", "GET, HEAD, POST"),
        ("POST", "/account", "GET, HEAD"),
    ],
)
def test_a_405_carries_allow(api: Api, store: Store, method: str, path: str, allow: str) -> None:
    response = api.request(method, path, {"name": "x"} if method != "GET" else None)
    copper_error(response, 405)
    assert response.headers["Allow"] == allow
    assert lead_count(store) == 0


def test_every_method_of_a_path_still_answers(api: Api) -> None:
    lead = api.create_lead(name="Ada")
    assert api.put(f"/leads/{lead['id']}", {"title": "T"}).json()["title"] == "T"
    head = api.request("HEAD", f"/leads/{lead['id']}")
    assert head.status_code == 200
    assert api.delete(f"/leads/{lead['id']}").json() == {"id": lead["id"], "is_deleted": True}


def test_the_error_schema_admits_every_error_body(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    error = {**doc["components"]["schemas"]["Error"], "components": doc["components"]}
    bulk = api.post("/leads/bulk_create", {"leads": [{"name": str(i)} for i in range(11)]})
    assert bulk.status_code == 422
    assert bulk.json() == {"error": "Request size too large, limit is 10"}
    invalid = api.post("/leads", {"name": 5})
    missing = api.get("/leads/999999")
    for response in (bulk, invalid, missing):
        jsonschema_rs.validate(error, response.json())


def test_request_bodies_are_typed_in_the_openapi_document(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    bodies = {
        f"{method.upper()} {path}": op["requestBody"]["content"]["application/json"]["schema"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    }
    assert len(bodies) >= 10
    for name, schema in bodies.items():
        assert "$ref" in schema, name
    lead = doc["components"]["schemas"]["LeadIn"]["properties"]
    assert {"name", "email", "address", "monetary_value", "custom_fields"} <= set(lead)
    search = doc["components"]["schemas"]["LeadSearchIn"]["properties"]
    assert {"ids", "page_size", "minimum_created_date", "custom_fields"} <= set(search)


def _raw_post(api: Api, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, bytes]:
    """POST /leads with the api's credentials, then ``headers`` exactly as given."""
    sent = api.raw_post(headers, body)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_content_length_of_unicode_digits_is_no_500(api: Api) -> None:
    # "\xb2" is "²" in latin-1: str.isdigit() says yes, int() refuses it
    status, body = _raw_post(api, [(b"content-length", b"\xb2")], b'{"name": "Ada"}')
    assert status == 200, body
