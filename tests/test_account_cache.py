"""The per-process account cache never serves definitions another worker changed."""

from __future__ import annotations

import pytest

from verdigris.domain.errors import ValidationFailed
from verdigris.services import Principal, Services
from verdigris.store.base import Store


def test_a_worker_sees_definitions_another_worker_changed(store: Store) -> None:
    worker_a, worker_b = Services(store), Services(store)  # two processes' caches
    user, _ = worker_a.add_user("cache@example.com")
    who = Principal(user.id, user.account_id, user.email)
    lead = worker_a.create_lead(who, {"name": "Cached"}).lead
    assert worker_a.get_lead(who, lead.id).definitions == ()  # A caches "no definitions"

    made = worker_b.create_custom_field_definition(
        who, {"name": "Tier", "data_type": "String", "available_on": ["lead"]}
    )
    shown = worker_a.get_lead(who, lead.id)
    assert [d.id for d in shown.definitions] == [made.id]
    updated = worker_a.update_lead(
        who, lead.id, {"custom_fields": [{"custom_field_definition_id": made.id, "value": "Gold"}]}
    )
    assert updated.lead.custom_fields == {made.id: "Gold"}

    worker_b.delete_custom_field_definition(who, made.id)
    with pytest.raises(ValidationFailed):
        worker_a.update_lead(
            who, lead.id, {"custom_fields": [{"custom_field_definition_id": made.id, "value": "x"}]}
        )
    assert worker_a.get_lead(who, lead.id).definitions == ()


def test_statuses_are_cached_per_account(store: Store) -> None:
    services = Services(store)
    user, _ = services.add_user("statuses@example.com")
    who = Principal(user.id, user.account_id, user.email)
    services.create_lead(who, {"name": "One"})
    assert [s.name for s in services.cache.statuses.get(who.account_id) or []][:1] == ["New"]
