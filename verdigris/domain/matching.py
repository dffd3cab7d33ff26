"""Upsert match criteria and the rule that turns a lookup into an outcome.

Copper's documented outcomes: no match creates, one match updates, more than one
answers 422 with the matching ids, and more than 30 answers 422 without them.
A custom field match (issue 5) is checked against its definition
(:func:`custom_criteria`) and carried into the lead an upsert creates
(:func:`with_match_value`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from verdigris.domain.custom_fields import CustomFieldDefinition, definition_problem, match_key
from verdigris.domain.errors import field_failure
from verdigris.domain.leads import normalize_email, normalize_name
from verdigris.domain.values import parse_int

MAX_LISTED_MATCHES = 30
#: how many ids a store lookup needs to return to tell every outcome apart
LOOKUP_LIMIT = MAX_LISTED_MATCHES + 1
MATCH_FIELDS = ("name", "email", "custom")
_CUSTOM_SHAPE = "a custom match needs field_value {custom_field_definition_id, value}"


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
        raise field_failure("match", "blank", "match must be an object {field_name, field_value}")
    field = raw.get("field_name")
    value = raw.get("field_value")
    if field == "email":
        if not isinstance(value, str) or not value.strip():
            raise field_failure("match", "invalid", "match.field_value must be an email")
        return MatchCriteria("email", normalize_email(value), sent=value.strip())
    if field == "name":
        if not isinstance(value, str) or not value.strip():
            raise field_failure("match", "invalid", "match.field_value must be a name")
        return MatchCriteria("name", normalize_name(value), sent=normalize_name(value))
    if field == "custom":
        if not isinstance(value, Mapping):
            raise field_failure("match", "invalid", _CUSTOM_SHAPE)
        def_id = parse_int(value.get("custom_field_definition_id"))
        if def_id is None or value.get("value") is None:
            raise field_failure("match", "invalid", _CUSTOM_SHAPE)
        return MatchCriteria("custom", value.get("value"), def_id)
    raise field_failure(
        "match",
        "unsupported",
        f"match.field_name {field!r} is not supported; use one of {', '.join(MATCH_FIELDS)}",
    )


# --- upsert by custom field (issue 5) -------------------------------------------------------


def custom_criteria(
    definition_of: Callable[[int], CustomFieldDefinition | None], criteria: MatchCriteria
) -> MatchCriteria:
    """Check a custom match against its definition (``definition_of`` looks one up in
    the account); the criteria then carry the index key."""
    def_id = int(criteria.definition_id or 0)
    definition = definition_of(def_id)
    problem = definition_problem(definition, def_id, "match")
    if problem is not None:
        raise field_failure("match", *problem)
    assert definition is not None  # definition_problem answers not_found otherwise
    try:
        key = match_key(definition, criteria.value)
    except ValueError as exc:
        raise field_failure("match", "invalid", f"custom field {definition.label}: {exc}") from None
    return MatchCriteria("custom", key, def_id)


def with_match_value(properties: Mapping[str, Any], criteria: MatchCriteria) -> Mapping[str, Any]:
    """The properties of an upsert that creates, carrying the matched value.

    A lead created by the upsert gets the match value (email, name or custom field)
    unless the properties set that field themselves, so that repeating the upsert finds
    the lead it created instead of creating another.
    """
    if criteria.field == "email":
        if "email" in properties:
            return properties
        return {**properties, "email": {"email": criteria.sent, "category": "work"}}
    if criteria.field == "name":
        if any(k in properties for k in ("name", "first_name", "last_name")):
            return properties
        return {**properties, "name": criteria.sent}
    sent = properties.get("custom_fields", [])
    if not isinstance(sent, list):
        return properties  # invalid: validation reports it
    for item in sent:
        if isinstance(item, Mapping) and (
            parse_int(item.get("custom_field_definition_id")) == criteria.definition_id
        ):
            return properties
    value = {"custom_field_definition_id": criteria.definition_id, "value": criteria.value}
    return {**properties, "custom_fields": [*sent, value]}
