"""Test data helpers for the SDK and CLI tests."""

from __future__ import annotations

import json
from typing import Any

from verdigris.store import schema
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore


def add_definition(
    store: Store,
    account_id: int,
    name: str,
    data_type: str = "String",
    *,
    filterable: bool = True,
    options: list[dict[str, Any]] | None = None,
) -> int:
    """A custom field definition on leads, written straight to the database (verdigris has
    no definitions endpoint on this branch yet)."""
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        result = conn.execute(
            schema.custom_field_definitions.insert().values(
                account_id=account_id,
                name=name,
                data_type=data_type,
                available_on=json.dumps(["lead"]),
                is_filterable=filterable,
                options=json.dumps(options or []),
                currency=None,
            )
        )
        return int(result.inserted_primary_key[0])


def email(address: str) -> dict[str, str]:
    return {"email": address, "category": "work"}
