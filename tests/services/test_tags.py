"""Every record with tags reads them alike (verdigris.domain.values.parse_tags): a tag
holding a NUL character is refused on leads, people, companies and opportunities as on
tasks, on both engines, even from a caller that skips the server's NUL check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from verdigris.domain.errors import ValidationFailed
from verdigris.services import Principal, Services


def _who(services: Services, email: str) -> Principal:
    user, _token = services.add_user(email, account=email)
    return Principal(user.id, user.account_id, user.email)


def _creates(services: Services, who: Principal) -> dict[str, Callable[[dict[str, Any]], Any]]:
    person = services.create_person(who, {"name": "Contact"}).record
    return {
        "lead": lambda body: services.create_lead(who, body),
        "person": lambda body: services.create_person(who, body),
        "company": lambda body: services.create_company(who, body),
        "opportunity": lambda body: services.create_opportunity(
            who, {**body, "primary_contact_id": person.id}
        ),
        "task": lambda body: services.create_task(who, body),
    }


def test_a_tag_with_a_nul_character_is_refused_on_every_record(services: Services) -> None:
    who = _who(services, "tags-nul@example.com")
    for kind, create in _creates(services, who).items():
        with pytest.raises(ValidationFailed) as caught:
            create({"name": f"A {kind}", "tags": ["fine", "bad\x00tag"]})
        assert caught.value.errors == {"tags": ["invalid"]}, kind


def test_tags_are_stripped_deduplicated_and_bounded_on_every_record(services: Services) -> None:
    who = _who(services, "tags-same@example.com")
    for kind, create in _creates(services, who).items():
        made = create({"name": f"B {kind}", "tags": [" b ", "a", "b", ""]})
        record = getattr(made, "lead", None) or getattr(made, "task", None) or made.record
        assert record.tags == ["b", "a"], kind
        with pytest.raises(ValidationFailed) as caught:
            create({"name": f"C {kind}", "tags": ["x" * 256]})
        assert caught.value.errors == {"tags": ["too_long"]}, kind
