"""Upsert match criteria and the rule that turns a lookup into an outcome.

Copper's documented outcomes: no match creates, one match updates, more than one
answers 422 with the matching ids, and more than 30 answers 422 without them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from verdigris.domain.errors import ValidationFailed
from verdigris.domain.leads import as_int, normalize_email, normalize_name

MAX_LISTED_MATCHES = 30
#: how many ids a store lookup needs to return to tell every outcome apart
LOOKUP_LIMIT = MAX_LISTED_MATCHES + 1
MATCH_FIELDS = ("name", "email", "custom")


@dataclass(frozen=True)
class MatchCriteria:
    """What an upsert matches on, with the value already normalized."""

    field: Literal["name", "email", "custom"]
    value: Any
    definition_id: int | None = None
    #: the value as the client sent it, trimmed (what a lead created by the upsert gets)
    sent: Any = dataclass_field(default=None, compare=False)

    @property
    def lock_key(self) -> str:
        """A string that is equal for every upsert that must be serialized with this one."""
        if self.field == "custom":
            return f"custom:{self.definition_id}:{self.value!r}"
        return f"{self.field}:{self.value}"


@dataclass(frozen=True)
class Create:
    pass


@dataclass(frozen=True)
class Update:
    lead_id: int


@dataclass(frozen=True)
class Ambiguous:
    ids: tuple[int, ...]
    truncated: bool


Outcome = Create | Update | Ambiguous


def decide(ids: Sequence[int]) -> Outcome:
    """The outcome for the ids a lookup found (at most :data:`LOOKUP_LIMIT` of them)."""
    if not ids:
        return Create()
    if len(ids) == 1:
        return Update(ids[0])
    if len(ids) > MAX_LISTED_MATCHES:
        return Ambiguous((), truncated=True)
    return Ambiguous(tuple(sorted(ids)), truncated=False)


def parse_match(raw: Any) -> MatchCriteria:
    """Read the ``match`` object of an upsert body."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            {"match": ["blank"]},
            "Invalid input: Validation errors: match must be an object {field_name, field_value}",
        )
    field = raw.get("field_name")
    value = raw.get("field_value")
    if field == "email":
        if not isinstance(value, str) or not value.strip():
            raise ValidationFailed(
                {"match": ["invalid"]},
                "Invalid input: Validation errors: match.field_value must be an email",
            )
        return MatchCriteria("email", normalize_email(value), sent=value.strip())
    if field == "name":
        if not isinstance(value, str) or not value.strip():
            raise ValidationFailed(
                {"match": ["invalid"]},
                "Invalid input: Validation errors: match.field_value must be a name",
            )
        return MatchCriteria("name", normalize_name(value), sent=normalize_name(value))
    if field == "custom":
        if not isinstance(value, Mapping):
            raise ValidationFailed(
                {"match": ["invalid"]},
                "Invalid input: Validation errors: a custom match needs field_value "
                "{custom_field_definition_id, value}",
            )
        def_id = as_int(value.get("custom_field_definition_id"))
        if def_id is None or value.get("value") is None:
            raise ValidationFailed(
                {"match": ["invalid"]},
                "Invalid input: Validation errors: a custom match needs field_value "
                "{custom_field_definition_id, value}",
            )
        return MatchCriteria("custom", value.get("value"), def_id)
    raise ValidationFailed(
        {"match": ["unsupported"]},
        f"Invalid input: Validation errors: match.field_name {field!r} is not supported; "
        f"use one of {', '.join(MATCH_FIELDS)}",
    )
