"""Test helpers: data for the SDK and CLI tests, and what only tests need of the store
and services (emptying a database, reading a search page as :class:`Lead` objects)."""

from __future__ import annotations

import csv
import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import anyio
from starlette.types import ASGIApp

from verdigris.domain.leads import Address, Email, Lead
from verdigris.domain.search import SearchQuery
from verdigris.services import Principal, Services, Shown
from verdigris.store import schema
from verdigris.store.base import Store, StoreTx
from verdigris.store.sql import SqlStore


def reset(store: Store) -> None:
    """Delete every row of every table."""
    assert isinstance(store, SqlStore)
    with store.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())


def search_leads(tx: StoreTx, account_id: int, query: SearchQuery) -> tuple[int, list[Lead]]:
    """A search's total and page (``tx.leads.search``), each lead of the page read whole."""
    total, rows = tx.leads.search(account_id, query)
    leads = [tx.leads.get(account_id, row[0]) for row in rows]
    return total, [lead for lead in leads if lead is not None]


def search_shown(
    services: Services, who: Principal, params: dict[str, Any]
) -> tuple[int, list[Shown]]:
    """A search's total and page (``Services.search_lead_page``), each lead of the page
    as ``GET /leads/{id}`` shows it."""
    total, page = services.search_lead_page(who, params)
    return total, [services.get_lead(who, row[0]) for row in page.leads]


def add_definition(
    store: Store,
    account_id: int,
    name: str,
    data_type: str = "String",
    *,
    filterable: bool = True,
    options: list[dict[str, Any]] | None = None,
) -> int:
    """A custom field definition on leads, written straight to the database, bumping the
    account's definitions version as the store does (so running servers see it)."""
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
        conn.execute(
            schema.accounts.update()
            .where(schema.accounts.c.id == account_id)
            .values(custom_fields_version=schema.accounts.c.custom_fields_version + 1)
        )
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])


def reject_reasons(path: Path) -> dict[int, str]:
    """``{row number: reason}`` of an import's reject file (CSV or JSON lines)."""
    if path.suffix == ".csv":
        with path.open(newline="") as f:
            return {int(r["_row"]): r["_error"] for r in csv.DictReader(f)}
    with path.open() as f:
        return {int(r["_row"]): r["_error"] for r in map(json.loads, f)}


def email(address: str) -> dict[str, str]:
    return {"email": address, "category": "work"}


def write_leads_csv(
    path: Path, rows: int, *, invalid_every: int = 20, existing_every: int = 10
) -> None:
    """A CSV of ``rows`` leads with Copper column names.

    Row ``i`` (0-based) is invalid when ``i % invalid_every == 0`` (in turn: an address
    that is no email, a missing name, a customer source that is not a number), repeats
    the email of existing lead ``i // existing_every`` when ``i % existing_every == 1``
    (see :func:`existing_leads`), and is a new lead otherwise.
    """
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["name", "email", "phone", "city", "state", "tags", "customer_source_id"])
        for i in range(rows):
            name, address, source = f"Lead {i}", f"new{i}@example.com", ""
            if invalid_every and i % invalid_every == 0:
                kind = (i // invalid_every) % 3
                if kind == 0:
                    address = f"row{i}-at-example.com"
                elif kind == 1:
                    name = ""
                else:
                    source = "abc"
            elif existing_every and i % existing_every == 1:
                address = f"existing{i // existing_every}@example.com"
            out.writerow(
                [name, address, f"mobile:555-{i:05d}", "Savannah", "GA", "csv;import", source]
            )


def existing_leads(count: int) -> list[dict[str, Any]]:
    """The leads that :func:`write_leads_csv`'s duplicate rows match."""
    return [
        {"name": f"Existing {k}", "email": email(f"existing{k}@example.com")} for k in range(count)
    ]


def seed_city_leads(store: Store, cities: list[str], now: int) -> int:
    """A new account with a lead per city of ``cities``: lead i is named ``Lead 0i``,
    emails ``lead{i}@x.example``, is worth i and was created and modified at ``now + i``."""
    with store.transaction(write=True) as tx:
        account = tx.accounts.create("Acme", now).id
        for i, city in enumerate(cities):
            tx.leads.insert(
                Lead(
                    account_id=account,
                    name=f"Lead {i:02d}",
                    email=Email(f"lead{i}@x.example", "work"),
                    address=Address(city=city),
                    monetary_value=float(i),
                    date_created=now + i,
                    date_modified=now + i,
                )
            )
    return account


def raw_post(
    app: ASGIApp,
    headers: list[tuple[bytes, bytes]],
    body: bytes | list[dict[str, Any]],
    path: str = "/developer_api/v1/leads",
) -> list[dict[str, Any]]:
    """POST straight to the ASGI ``app``, headers exactly as given (no client fixes them).

    ``body`` is the whole body, or the ``receive`` messages to hand out in turn (an
    ``http.disconnect`` to play a client that goes away). Returns the messages sent."""
    incoming = (
        [{"type": "http.request", "body": body, "more_body": False}]
        if isinstance(body, bytes)
        else list(body)
    )
    sent: list[dict[str, Any]] = []
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "headers": headers,
    }

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    anyio.run(app, scope, receive, send)
    return sent
