"""An update writes the columns that changed: the row after any update is the row of the
updated lead, its stored wire form included (leads_sql.SqlLeads.update)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from verdigris.domain.leads import Address, Email, Lead, Link, Phone
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.lead_rows import lead_row

NOW = 1_700_000_000

#: a value for every field changed by the tests, unlike the lead's own
SCALAR_CHANGES: dict[str, Any] = {
    "name": "Ada B. Lovelace",
    "prefix": "Dr",
    "first_name": "  Ada ",
    "middle_name": "B.",
    "last_name": "LOVELACE",
    "suffix": "III",
    "title": "Chief Ä Officer",
    "company_name": "Analytical Engines",
    "details": "updated",
    "assignee_id": None,
    "customer_source_id": 7,
    "status_id": None,
    "monetary_value": 12.5,
    "monetary_unit": "EUR",
    "interaction_count": 3,
    "date_created": NOW - 5,
    "date_modified": NOW + 60,
    "date_last_contacted": None,
    "converted_at": NOW + 1,
    "converted_opportunity_id": 99,
    "converted_value": 5,
    "converted_unit": "USD",
}
COMPOUND_CHANGES: dict[str, Any] = {
    "email": Email("Other@Example.com", "personal"),
    "phone_numbers": [Phone("+44 20 7946 0000", "mobile")],
    "socials": [],
    "websites": [Link("https://example.org", "work")],
    "address": Address(city="Paris", country="FR"),
    "tags": ["Other", "other "],
    "custom_fields": {},
}


def _lead(account_id: int) -> Lead:
    return Lead(
        account_id=account_id,
        name="Ada Lovelace",
        first_name="Ada",
        last_name="Lovelace",
        title="Buyer",
        company_name="Bench Co",
        details="seeded",
        email=Email("ada@example.com", "work"),
        phone_numbers=[Phone("+1 415 555 0100", "work")],
        socials=[Link("https://x.example/ada", "twitter")],
        address=Address(street="1 Main St", city="Boston", state="MA", country="US"),
        assignee_id=4,
        customer_source_id=None,
        status_id=None,
        monetary_value=100,
        monetary_unit="USD",
        tags=["vip"],
        date_created=NOW,
        date_modified=NOW,
        date_last_contacted=NOW - 100,
    )


def _row(store: Store, lead_id: int) -> dict[str, Any]:
    with store.transaction(write=False) as tx:
        conn = tx.conn  # type: ignore[attr-defined]
        row = conn.execute(sa.select(t.leads).where(t.leads.c.id == lead_id)).one()
    return dict(row._mapping)


def _account(store: Store) -> int:
    with store.transaction(write=True) as tx:
        return tx.accounts.create("Acme", NOW).id


CASES = (
    [{k: v} for k, v in SCALAR_CHANGES.items()]
    + [{k: v} for k, v in COMPOUND_CHANGES.items()]
    + [
        {"title": "Buyer 2", "details": "by the benchmark", "date_modified": NOW + 1},
        {"name": "X", "first_name": "X", "last_name": None, "tags": ["a"]},
        {"monetary_value": 100.0, "title": "Buyer"},  # equal values: nothing to write
    ]
)


@pytest.mark.parametrize("changes", CASES, ids=lambda c: ",".join(c))
def test_the_row_after_an_update_is_the_updated_leads_row(
    store: Store, changes: dict[str, Any]
) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        lead_id = tx.leads.insert(_lead(account)).id
    with store.transaction(write=True) as tx:
        current = tx.leads.get_for_update(account, lead_id)
        assert current is not None
        tx.leads.update(msgspec.structs.replace(current, **changes))
    with store.transaction(write=False) as tx:
        updated = tx.leads.get(account, lead_id)
    assert updated == msgspec.structs.replace(current, **changes)
    row = _row(store, lead_id)
    expected = {"id": lead_id, **lead_row(updated)}
    assert {k: row[k] for k in expected} == expected


def test_bulk_leads_read_ahead_are_updated_in_full(store: Store) -> None:
    account = _account(store)
    with store.transaction(write=True) as tx:
        ids = [tx.leads.insert(_lead(account)).id for _ in range(3)]
    with store.transaction(write=True) as tx:
        found = tx.leads.read_ahead_for_update(account, ids)
        assert found is not None
        for i, lead_id in enumerate(ids):
            current = tx.leads.get_for_update(account, lead_id)
            assert current is found[lead_id]
            tx.leads.update(msgspec.structs.replace(current, title=f"T{i}", date_modified=NOW + i))
    for i, lead_id in enumerate(ids):
        row = _row(store, lead_id)
        assert (row["title"], row["title_key"], row["date_modified"]) == (f"T{i}", f"t{i}", NOW + i)


def test_a_row_changed_by_set_interactions_is_compared_in_full(store: Store) -> None:
    """set_interactions changes the row read: the lead read before no longer describes
    it, and the update compares the whole row."""
    account = _account(store)
    with store.transaction(write=True) as tx:
        lead_id = tx.leads.insert(_lead(account)).id
    with store.transaction(write=True) as tx:
        current = tx.leads.get_for_update(account, lead_id)
        assert current is not None
        tx.leads.set_interactions(account, lead_id, 5, NOW + 10)
        # the caller's lead still has the old counts: the update writes them back
        tx.leads.update(msgspec.structs.replace(current, title="After"))
    row = _row(store, lead_id)
    assert (row["interaction_count"], row["date_last_contacted"]) == (0, NOW - 100)
    assert row["contacted_key"] == NOW - 100
