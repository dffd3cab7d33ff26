"""Search pages rendered from stored fields (``render_page.leads_out``) are byte for byte
what ``render.lead_out`` renders from ``Lead`` objects, for every kind of lead, on every
engine."""

from __future__ import annotations

import random
import string
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from tests.conftest import Api
from tests.helpers import search_shown
from verdigris.domain.custom_fields import DATA_TYPES, CustomFieldDefinition, Option
from verdigris.domain.leads import (
    EMAIL_CATEGORIES,
    PHONE_CATEGORIES,
    SOCIAL_CATEGORIES,
    WEBSITE_CATEGORIES,
    Address,
    Email,
    Lead,
    Link,
    Phone,
)
from verdigris.domain.values import canonical_number, parse_number
from verdigris.server import render, render_page
from verdigris.services import Principal, Services
from verdigris.store import schema, wire_form
from verdigris.store.base import LeadFields, Store
from verdigris.wire import AddressOut

#: text that JSON has to escape, non-ASCII, plain words (no NUL: PostgreSQL refuses it),
#: and what the stored wire form's ``bytes %`` template must keep as it is
ALPHABET = (
    string.ascii_letters + string.digits + ' "\\/\n\t\x01\x02\x05\x1f\u00e9\u4e2d\U0001f600<>&%'
)
OPTIONS = (Option(101, "Red", 0), Option(102, "Green", 1), Option(103, "Blue", 2))


def text(rng: random.Random, size: int = 12) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, size)))


def maybe(rng: random.Random, value: Any, chance: float = 0.5) -> Any:
    return value if rng.random() < chance else None


def number(rng: random.Random) -> float | int:
    return rng.choice(
        [
            *(rng.randrange(-(10**6), 10**6), rng.uniform(-1e6, 1e6)),
            *(float(rng.randrange(10**4)), 0, 0.1, 1e-7, 1.5e300, 2**53 + 1),
        ]
    )


def stored_value(rng: random.Random, definition: CustomFieldDefinition) -> Any:
    """A value as the store keeps it for ``definition`` (sometimes a stale one)."""
    kind = definition.data_type
    if kind in ("String", "Text", "URL"):
        return text(rng, 40)
    if kind == "Checkbox":
        return True
    if kind in ("Float", "Percentage", "Currency"):
        return canonical_number(parse_number(number(rng)))  # as coerce_value stores it
    if kind == "Date":
        return rng.randrange(-(10**9), 2 * 10**9)
    if kind == "Dropdown":
        return rng.choice([101, 102, 103, 999])  # 999: an option since removed
    if kind == "MultiSelect":
        return sorted(rng.sample([101, 102, 103, 999], rng.randrange(1, 4)))
    return [rng.randrange(1, 10**6) for _ in range(rng.randrange(1, 3))]  # Connect


def make_definitions(store: Store, account_id: int) -> list[CustomFieldDefinition]:
    made = []
    with store.transaction(write=True) as tx:
        for i, kind in enumerate((*DATA_TYPES, "String")):
            definition = CustomFieldDefinition(
                id=0,
                account_id=account_id,
                name=f"field {i}",
                data_type=kind,
                # the last one is not on leads: never rendered, even with a value
                available_on=("lead", "person") if i < len(DATA_TYPES) else ("person",),
                options=OPTIONS if kind in ("Dropdown", "MultiSelect") else (),
                currency="CAD" if kind == "Currency" else None,
            )
            made.append(tx.definitions.insert(definition))
    return made


def make_lead(
    rng: random.Random,
    account_id: int,
    statuses: list[int],
    definitions: list[CustomFieldDefinition],
) -> Lead:
    values = {d.id: stored_value(rng, d) for d in definitions if rng.random() < 0.4}
    if rng.random() < 0.1:
        values[10**9] = "a definition since deleted"
    converted = rng.random() < 0.3
    address = None
    if rng.random() < 0.7:
        parts = [maybe(rng, text(rng)) for _ in range(5)]
        address = Address(*parts) if any(p is not None for p in parts) else None
    created = rng.randrange(10**9, 2 * 10**9)
    return Lead(
        account_id=account_id,
        name=maybe(rng, text(rng), 0.9),
        prefix=maybe(rng, text(rng), 0.2),
        first_name=maybe(rng, text(rng)),
        middle_name=maybe(rng, text(rng), 0.2),
        last_name=maybe(rng, text(rng)),
        suffix=maybe(rng, text(rng), 0.2),
        title=maybe(rng, text(rng)),
        company_name=maybe(rng, text(rng)),
        details=maybe(rng, text(rng, 200)),
        email=maybe(rng, Email(f"{text(rng)}@x.example", rng.choice(EMAIL_CATEGORIES))),
        phone_numbers=[
            Phone(text(rng), rng.choice(PHONE_CATEGORIES)) for _ in range(rng.randrange(3))
        ],
        socials=[Link(text(rng), rng.choice(SOCIAL_CATEGORIES)) for _ in range(rng.randrange(3))],
        websites=[Link(text(rng), rng.choice(WEBSITE_CATEGORIES)) for _ in range(rng.randrange(3))],
        address=address,
        assignee_id=maybe(rng, rng.randrange(1, 10**12)),
        customer_source_id=maybe(rng, rng.randrange(1, 10**6)),
        # a status of the account, an unknown one, or none
        status_id=rng.choice([*statuses, 10**9, None]),
        monetary_value=maybe(rng, number(rng)),
        monetary_unit=maybe(rng, rng.choice(["USD", "EUR", "CAD"])),
        tags=list(dict.fromkeys(text(rng) for _ in range(rng.randrange(4)))),
        interaction_count=rng.randrange(100),
        custom_fields=values,
        date_created=created,
        date_modified=created + rng.randrange(10**6),
        date_last_contacted=maybe(rng, created + rng.randrange(10**6)),
        converted_at=created + 5 if converted else None,
        converted_opportunity_id=maybe(rng, rng.randrange(1, 10**6)) if converted else None,
        converted_value=maybe(rng, number(rng)) if converted else None,
        converted_unit=maybe(rng, "USD") if converted else None,
    )


@pytest.mark.parametrize("seed", range(4))
def test_page_renders_the_bytes_of_lead_out(store: Store, services: Services, seed: int) -> None:
    user, _ = services.add_user("ada@example.com", account="Acme")
    who = Principal(user.id, user.account_id, user.email)
    with store.transaction(write=False) as tx:
        statuses = [s.id for s in tx.accounts.list_statuses(who.account_id)]
    rng = random.Random(seed)
    definitions = make_definitions(store, who.account_id) if seed else []  # 0: none at all
    with store.transaction(write=True) as tx:
        for _ in range(60):
            tx.leads.insert(make_lead(rng, who.account_id, statuses, definitions))
    searches: list[dict[str, Any]] = [
        {"page_size": 200, "include_converted_leads": True},
        {"page_size": 25, "page_number": 2, "sort_by": "date_created", "sort_direction": "desc"},
        {"page_size": 200, "include_converted_leads": True, "tags": []},
    ]
    for params in searches:
        for computed in (False, True):
            total, shown = search_shown(services, who, params)
            same_total, page = services.search_lead_page(who, params)
            assert same_total == total
            assert len(page.leads) == len(shown) > 0
            for one, lead in zip(shown, render_page.leads_out(page, computed), strict=True):
                expected = render.encoder.encode(render.lead_out(one, computed))
                assert render.encoder.encode(lead) == expected
            expected = render.encoder.encode([render.lead_out(s, computed) for s in shown])
            assert render.encoder.encode(render_page.leads_out(page, computed)) == expected


def test_search_route_answers_those_bytes(api: Api, services: Services) -> None:
    api.create_lead(name="Ada Lovelace", monetary_value=12.0, tags=["vip"])
    api.create_lead(name="Grace Hopper", address={"city": "Arlington"}, monetary_value=3.5)
    response = api.post("/leads/search?custom_field_computed_values=true", {"page_size": 5})
    assert response.status_code == 200
    assert response.headers["X-PW-TOTAL"] == "2"
    _, shown = search_shown(services, api.principal, {"page_size": 5})
    assert response.content == render.encoder.encode([render.lead_out(s, True) for s in shown])


def test_stored_address_columns_are_in_address_out_order() -> None:
    # the wire form builds AddressOut positionally from the stored columns
    address: tuple[str, ...] = LeadFields._fields[wire_form._ADDRESS]  # type: ignore[assignment]
    assert address == AddressOut.__struct_fields__


@pytest.mark.parametrize("seed", range(2))
def test_leads_without_a_wire_form_render_the_same_bytes(
    store: Store, services: Services, seed: int
) -> None:
    """Rows written before migration 0018 (or by an older server since) have no wire form:
    the page makes theirs from their columns; a later write of the lead stores one."""
    user, _ = services.add_user("ada@example.com", account="Acme")
    who = Principal(user.id, user.account_id, user.email)
    with store.transaction(write=False) as tx:
        statuses = [s.id for s in tx.accounts.list_statuses(who.account_id)]
    rng = random.Random(seed)
    definitions = make_definitions(store, who.account_id)
    with store.transaction(write=True) as tx:
        made = [
            tx.leads.insert(make_lead(rng, who.account_id, statuses, definitions))
            for _ in range(30)
        ]
    params = {"page_size": 200, "include_converted_leads": True}
    _, page = services.search_lead_page(who, params)
    before = render.encoder.encode(render_page.leads_out(page, True))
    forgotten = [lead.id for lead in made[::2]]
    with store.transaction(write=True) as tx:
        tx.conn.execute(  # type: ignore[attr-defined]
            sa.update(schema.leads).where(schema.leads.c.id.in_(forgotten)).values(wire=None)
        )
    _, page = services.search_lead_page(who, params)
    assert render.encoder.encode(render_page.leads_out(page, True)) == before
    _, shown = search_shown(services, who, params)
    assert before == render.encoder.encode([render.lead_out(s, True) for s in shown])
    # an update that changes what the wire form holds writes it again
    with store.transaction(write=True) as tx:
        lead = tx.leads.get(who.account_id, forgotten[0])
        assert lead is not None
        tx.leads.update(msgspec.structs.replace(lead, title="Dr %s"))
        wire = tx.conn.execute(  # type: ignore[attr-defined]
            sa.select(schema.leads.c.wire).where(schema.leads.c.id == forgotten[0])
        ).scalar_one()
    assert wire is not None and b'"title":"Dr %%s"' in bytes(wire)


def test_an_update_of_interactions_alone_keeps_the_wire_form(
    api: Api, services: Services, store: Store
) -> None:
    """interaction_count and date_last_contacted are filled in from their columns."""
    lead = api.create_lead(name="Ada Lovelace")
    with store.transaction(write=True) as tx:
        tx.leads.set_interactions(api.principal.account_id, lead["id"], 7, 1_700_000_000)
    response = api.post("/leads/search", {"page_size": 5})
    (found,) = response.json()
    assert (found["interaction_count"], found["date_last_contacted"]) == (7, 1_700_000_000)
    _, shown = search_shown(services, api.principal, {"page_size": 5})
    assert response.content == render.encoder.encode([render.lead_out(s) for s in shown])
