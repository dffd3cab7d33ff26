"""The SDK against a real verdigris server (in a thread, over loopback HTTP): every method,
through both the sync and the async client."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import lead_count
from tests.helpers import add_definition, email
from tests.live import CountingTransport, Live, LiveFactory, sdk_client
from verdigris.client import (
    AmbiguousMatchError,
    AuthenticationError,
    BulkItemFailure,
    Client,
    DeletedOut,
    LeadOut,
    Match,
    NotFoundError,
    ValidationError,
)


def test_create_get_update_delete(sdk: Any, live: Live) -> None:
    created = sdk.create_lead({"name": "Ada Lovelace", "email": email("ada@example.com")})
    assert isinstance(created, LeadOut)
    assert (created.first_name, created.last_name) == ("Ada", "Lovelace")
    assert created.email is not None and created.email.email == "ada@example.com"
    assert created.status == "New"
    fetched = sdk.get_lead(created.id)
    assert fetched == created
    updated = sdk.update_lead(created.id, {"title": "Countess", "tags": ["math"]})
    assert (updated.title, updated.tags, updated.name) == ("Countess", ["math"], "Ada Lovelace")
    assert sdk.delete_lead(created.id) == DeletedOut(created.id, True)
    with pytest.raises(NotFoundError) as caught:
        sdk.get_lead(created.id)
    assert caught.value.status == 404 and caught.value.message == "Resource not found"


def test_a_returned_lead_can_be_sent_back(sdk: Any) -> None:
    lead = sdk.create_lead({"name": "Echo", "phone_numbers": [{"number": "1", "category": "work"}]})
    again = sdk.update_lead(lead.id, lead)  # a full-object echo, read-only keys included
    assert again.phone_numbers == lead.phone_numbers and again.name == "Echo"


def test_upsert_by_email_name_and_custom_field(sdk: Any, live: Live) -> None:
    first = sdk.upsert_lead({"name": "Up Sert", "email": email("up@x.io")}, Match.email("up@x.io"))
    again = sdk.upsert_lead({"title": "T"}, Match.email(" UP@x.io "))
    assert again.id == first.id and again.title == "T"
    by_name = sdk.upsert_lead({"details": "d"}, Match.name("Up Sert"))
    assert by_name.id == first.id and by_name.details == "d"
    field = add_definition(live.store, live.principal.account_id, "External Id")
    made = sdk.upsert_lead(
        {"name": "Custom", "custom_fields": [{"custom_field_definition_id": field, "value": "X1"}]},
        Match.custom(field, "X1"),
    )
    same = sdk.upsert_lead({"title": "again"}, Match.custom(field, "X1"))
    assert same.id == made.id != first.id
    assert lead_count(live.store) == 2


def test_ambiguous_upsert_raises_with_the_ids(sdk: Any) -> None:
    ids = [sdk.create_lead({"name": f"Twin {i}", "email": email("twin@x.io")}).id for i in (1, 2)]
    with pytest.raises(AmbiguousMatchError) as caught:
        sdk.upsert_lead({"title": "x"}, Match.email("twin@x.io"))
    assert caught.value.ids == sorted(ids)
    assert caught.value.status == 422


def test_ambiguous_over_thirty_has_no_ids(sdk: Any) -> None:
    results = sdk.bulk_create_leads([{"name": "Many"} for _ in range(31)])
    assert all(isinstance(r, LeadOut) for r in results)
    with pytest.raises(AmbiguousMatchError) as caught:
        sdk.upsert_lead({"title": "x"}, Match.name("Many"))
    assert caught.value.ids == []


def test_validation_error_carries_the_field_errors(sdk: Any, live: Live) -> None:
    with pytest.raises(ValidationError) as caught:
        sdk.create_lead({"title": "no name"})
    assert caught.value.errors == {"name": ["blank"]}
    assert caught.value.message.startswith("Invalid input")
    with pytest.raises(ValidationError) as caught:
        sdk.create_lead({"name": "x", "email": email("not an address")})
    assert caught.value.errors == {"email": ["invalid"]}
    assert lead_count(live.store) == 0


def test_wrong_credentials_raise_authentication_error(live: Live) -> None:
    with (
        Client(live.base_url, "wrong-token", live.email) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.lead_statuses()
    assert caught.value.status == 401


def test_lookups(sdk: Any, live: Live) -> None:
    statuses = sdk.lead_statuses()
    assert [s.name for s in statuses] == ["New", "Unqualified", "Contacted", "Qualified"]
    assert [s.is_default for s in statuses] == [True, False, False, False]
    assert sdk.customer_sources()
    assert sdk.account().name == "Acme"
    me = sdk.user("me")
    assert me.email == live.email and sdk.user(me.id) == me
    assert me in sdk.users()


def test_custom_field_definitions(sdk: Any, live: Live) -> None:
    try:
        existing = sdk.custom_field_definitions()
    except NotFoundError:
        pytest.skip("this verdigris does not serve /custom_field_definitions yet")
    made = sdk.create_custom_field_definition(
        {"name": "Size", "data_type": "Dropdown", "available_on": ["lead"],
         "options": [{"name": "S", "rank": 0}, {"name": "L", "rank": 1}]}
    )  # fmt: skip
    assert made.name == "Size" and [o.name for o in made.options] == ["S", "L"]
    assert sdk.custom_field_definition(made.id) == made
    assert len(sdk.custom_field_definitions()) == len(existing) + 1
    renamed = sdk.update_custom_field_definition(made.id, {"name": "Shirt size"})
    assert renamed.name == "Shirt size"
    assert sdk.delete_custom_field_definition(made.id).is_deleted


def test_bulk_create_of_25_is_3_requests_in_order(live: Live) -> None:
    transport = CountingTransport()
    with live.client(transport=transport, bulk_per_second=None) as client:
        results = client.bulk_create_leads([{"name": f"Lead {i:02d}"} for i in range(25)])
    assert [(m, p) for m, p, _ in transport.log] == [
        ("POST", "/developer_api/v1/leads/bulk_create")
    ] * 3
    assert [r.name for r in results if isinstance(r, LeadOut)] == [
        f"Lead {i:02d}" for i in range(25)
    ]
    assert lead_count(live.store) == 25


def test_bulk_failures_are_values_at_their_index(sdk: Any) -> None:
    items: list[dict[str, Any]] = [{"name": f"N{i}"} for i in range(12)]
    items[3] = {"title": "nameless"}
    items[11] = {"name": "bad email", "email": email("nope")}
    results = sdk.bulk_create_leads(items)
    assert len(results) == 12
    failures = [r for r in results if isinstance(r, BulkItemFailure)]
    assert [f.index for f in failures] == [3, 11]
    assert failures[0].errors == {"name": ["blank"]} and "name: blank" in failures[0].message
    assert "email" in failures[1].errors
    assert [r.name for r in results if isinstance(r, LeadOut)] == [
        f"N{i}" for i in range(12) if i not in (3, 11)
    ]


def test_bulk_update_any_length(sdk: Any) -> None:
    made = sdk.bulk_create_leads([{"name": f"U{i}"} for i in range(14)])
    changes = [{"id": lead.id, "title": f"T{i}"} for i, lead in enumerate(made)]
    changes.insert(5, {"id": 99999999, "title": "ghost"})
    results = sdk.bulk_update_leads(changes)
    assert len(results) == 15
    ghost = results[5]
    assert isinstance(ghost, BulkItemFailure) and ghost.id == 99999999 and ghost.index == 5
    assert [r.title for r in results if isinstance(r, LeadOut)] == [f"T{i}" for i in range(14)]


def test_bulk_splits_at_a_lower_server_limit(live_factory: LiveFactory) -> None:
    live = live_factory(bulk_limit=4)
    transport = CountingTransport()
    with live.client(transport=transport, bulk_per_second=None) as client:
        results = client.bulk_create_leads([{"name": f"S{i}"} for i in range(9)])
    assert [r.name for r in results if isinstance(r, LeadOut)] == [f"S{i}" for i in range(9)]
    # one refused 10-item request, then 4 + 4 + 1
    assert [status for _, _, status in transport.log] == [422, 200, 200, 200]


def test_raw_request_for_unwrapped_endpoints(live: Live) -> None:
    with sdk_client("sync", live) as client:
        reply = client.request("GET", "/account", {})
    assert reply.status == 200 and reply.json()["name"] == "Acme"
    assert "date" in reply.headers
