"""Observers see every change of a lead inside its transaction (services/changes.py)."""

from __future__ import annotations

import pytest

from tests.helpers import search_shown
from verdigris.domain.errors import AmbiguousMatch
from verdigris.services import Principal, Services
from verdigris.services.changes import Change
from verdigris.store.base import StoreTx


def _who(services: Services, email: str) -> Principal:
    user, _token = services.add_user(email, account=email)
    return Principal(user.id, user.account_id, user.email)


def _seen(services: Services) -> list[Change]:
    seen: list[Change] = []
    services.observe(lambda tx, change: seen.append(change))
    return seen


def test_create_update_upsert_delete_are_each_seen(services: Services) -> None:
    who = _who(services, "obs@example.com")
    seen = _seen(services)
    lead = services.create_lead(
        who, {"name": "Ada", "email": {"email": "a@x.io", "category": "work"}}
    )
    services.update_lead(who, lead.lead.id, {"title": "Countess"})
    services.update_lead(who, lead.lead.id, {"title": "Countess"})  # no change: not seen
    services.upsert_lead(
        who,
        {"properties": {"title": "Dr"}, "match": {"field_name": "email", "field_value": "a@x.io"}},
    )
    services.delete_lead(who, lead.lead.id)
    assert [(c.entity, c.event) for c in seen] == [
        ("lead", "new"),
        ("lead", "update"),
        ("lead", "update"),
        ("lead", "delete"),
    ]
    assert seen[1].before.title is None and seen[1].after.title == "Countess"
    assert seen[2].before.title == "Countess" and seen[2].after.title == "Dr"
    assert seen[3].before.id == lead.lead.id and seen[3].after is None
    assert all(c.account_id == who.account_id and c.user_id == who.user_id for c in seen)


def test_a_failing_observer_rolls_the_write_back(services: Services) -> None:
    who = _who(services, "obs2@example.com")

    def refuse(tx: StoreTx, change: Change) -> None:
        raise RuntimeError("observer failed")

    services.observe(refuse)
    with pytest.raises(RuntimeError):
        services.create_lead(who, {"name": "Never"})
    assert search_shown(services, who, {}) == (0, [])


def test_a_failed_bulk_item_is_not_seen_and_ambiguity_is_not_a_change(services: Services) -> None:
    who = _who(services, "obs3@example.com")
    services.create_lead(who, {"name": "Twin"})
    services.create_lead(who, {"name": "Twin"})
    seen = _seen(services)
    results = services.bulk_create(who, {"leads": [{"name": "One"}, {"name": ""}, {"name": "Two"}]})
    assert [getattr(r, "lead", None) is not None for r in results] == [True, False, True]
    with pytest.raises(AmbiguousMatch):
        services.upsert_lead(
            who, {"properties": {}, "match": {"field_name": "name", "field_value": "Twin"}}
        )
    assert [(c.event, c.after.name) for c in seen] == [("new", "One"), ("new", "Two")]
