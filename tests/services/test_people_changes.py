"""Observers see every write of a person or a company inside its transaction (issue 21)."""

from __future__ import annotations

import threading

import pytest

from verdigris.domain.errors import ValidationFailed
from verdigris.services import Principal, Services
from verdigris.services.changes import Change
from verdigris.store.base import StoreTx


def _who(services: Services, email: str) -> Principal:
    user, _token = services.add_user(email, account=email)
    return Principal(user.id, user.account_id, user.email)


def test_create_update_delete_of_people_and_companies_are_seen(services: Services) -> None:
    who = _who(services, "people-obs@example.com")
    seen: list[Change] = []
    services.observe(lambda tx, change: seen.append(change))
    ada = services.create_person(who, {"name": "Ada"}).record
    firm = services.create_company(who, {"name": "Firm"}).record
    services.update_person(who, ada.id, {"title": "Countess"})
    services.update_person(who, ada.id, {"title": "Countess"})  # no change: not seen
    services.update_company(who, firm.id, {"details": "x"})
    services.delete_person(who, ada.id)
    services.delete_company(who, firm.id)
    assert [(c.entity, c.event, c.record_id) for c in seen] == [
        ("person", "new", ada.id),
        ("company", "new", firm.id),
        ("person", "update", ada.id),
        ("company", "update", firm.id),
        ("person", "delete", ada.id),
        ("company", "delete", firm.id),
    ]
    assert seen[2].before.title is None and seen[2].after.title == "Countess"
    assert seen[4].before.id == ada.id and seen[4].after is None
    assert seen[5].before.name == "Firm" and seen[5].after is None
    assert all(c.account_id == who.account_id and c.user_id == who.user_id for c in seen)


def test_a_failing_observer_leaves_no_person(services: Services) -> None:
    who = _who(services, "people-obs2@example.com")

    def refuse(tx: StoreTx, change: Change) -> None:
        raise RuntimeError("observer failed")

    services.observe(refuse)
    with pytest.raises(RuntimeError):
        services.create_person(who, {"name": "Never", "emails": [{"email": "n@x.test"}]})
    with pytest.raises(RuntimeError):
        services.create_company(who, {"name": "Never Ltd"})
    assert services.search_people(who, {}) == (0, [])
    assert services.search_companies(who, {}) == (0, [])


def test_concurrent_creates_of_one_address_make_one_person(services: Services) -> None:
    """Two writers of one email address at once: one person, one ``emails: taken``."""
    who = _who(services, "people-race@example.com")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            body = {"name": f"Racer {n}", "emails": [{"email": " Race@Example.test "}]}
            services.create_person(who, body)
            outcomes.append("made")
        except ValidationFailed as exc:
            assert exc.errors == {"emails": ["taken"]}
            outcomes.append("taken")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["made", "taken", "taken", "taken"]
    assert services.search_people(who, {"emails": ["race@example.test"]})[0] == 1
