"""Seed fixtures: accounts, users with their keys, custom fields and leads, from JSON or
from the CSV that ``verdigris leads import`` reads.

A fixture (JSON)::

    {"accounts": [{
        "name": "Acme",
        "users": [{"email": "ada@example.com", "token": "a-key-of-16-chars-or-more"}],
        "custom_fields": [{"name": "Region", "data_type": "String", "available_on": ["lead"]}],
        "leads": [{"name": "Grace Hopper", "email": {"email": "grace@example.com",
                                                    "category": "work"}}],
        "leads_csv": "leads.csv"
    }]}

``custom_fields`` and ``leads`` are the bodies Copper's POST endpoints take, created
through the same services (so they are checked the same way, and stamped by the
server's clock); ``leads_csv`` is a file (relative to the fixture) read with the
importer's row rules (:mod:`verdigris.cli.rows`). An account's fixture without
``accounts`` (``{"leads": [...]}``) seeds the caller's own account through the API.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verdigris.domain.errors import VerdigrisError
from verdigris.services import Principal, Services


class FixtureError(ValueError):
    """A fixture that cannot be read or applied (the message says where)."""


@dataclass
class Seeded:
    """What one application of a fixture made, and what it refused."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    custom_fields: int = 0
    leads: int = 0
    #: ``{"account": name, "lead": index, "message": ...}`` per lead refused
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "custom_fields": self.custom_fields,
            "leads": self.leads,
            "errors": self.errors[:100],
        }


def load(path: str | Path) -> dict[str, Any]:
    """A fixture file: JSON (``.json``), or a CSV of leads (``.csv``) for one account
    ``verdigris`` (the account ``verdigris serve`` bootstraps)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FixtureError(f"{path}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        return {"accounts": [{"name": "verdigris", "leads": csv_leads(text)}]}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{path}: not JSON: {exc}") from None
    return resolve_files(data, path.parent)


def resolve_files(data: Any, base: Path) -> dict[str, Any]:
    """Read each account's ``leads_csv`` (relative to ``base``) into its ``leads``."""
    if not isinstance(data, Mapping):
        raise FixtureError("a fixture is a JSON object")
    for account in _accounts(data):
        name = account.pop("leads_csv", None)
        if name is not None:
            csv_path = base / str(name)
            try:
                text = csv_path.read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise FixtureError(f"{csv_path}: {exc.strerror}") from None
            account["leads"] = [*account.get("leads", []), *csv_leads(text)]
    return dict(data)


def csv_leads(text: str) -> list[dict[str, Any]]:
    """Lead bodies from CSV text, by the importer's column rules."""
    from verdigris.cli.rows import RowError, RowReader  # the CLI's rules, loaded on demand

    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = RowReader(reader.fieldnames or [])
        return [rows.properties(row) for row in reader]
    except (RowError, ValueError) as exc:
        raise FixtureError(f"CSV line {reader.line_num}: {exc}") from None


def _accounts(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    accounts = data.get("accounts", [])
    if not isinstance(accounts, list) or not all(isinstance(a, dict) for a in accounts):
        raise FixtureError("accounts must be a list of objects")
    return accounts


def apply(services: Services, data: Mapping[str, Any]) -> Seeded:
    """Create what ``data`` (a fixture with ``accounts``) describes."""
    seeded = Seeded()
    for account in _accounts(data):
        name = account.get("name")
        users = account.get("users") or []
        if not isinstance(name, str) or not name.strip():
            raise FixtureError("each account needs a name")
        if not isinstance(users, list):
            raise FixtureError(f"account {name!r}: users must be a list")
        principal: Principal | None = None if users else _existing_user(services, name)
        if principal is None and not users:
            raise FixtureError(
                f"account {name!r}: list at least one user (or name an account that has one)"
            )
        for user in users:
            if not isinstance(user, Mapping) or not isinstance(user.get("email"), str):
                raise FixtureError(f"account {name!r}: each user needs an email")
            try:
                record, _ = services.add_user(
                    user["email"], account=name, name=user.get("name"), token=user.get("token")
                )
            except VerdigrisError as exc:
                raise FixtureError(f"account {name!r}: {exc.message}") from None
            principal = principal or Principal(record.id, record.account_id, record.email)
        assert principal is not None
        seeded.accounts.append({"name": name, "id": principal.account_id})
        into_account(services, principal, account, seeded)
    return seeded


def _existing_user(services: Services, account: str) -> Principal | None:
    """The first user of the account named ``account``, if it exists."""
    with services.store.transaction(write=False) as tx:
        record = tx.accounts.find(account)
        users = tx.accounts.list_users(record.id) if record is not None else []
    if not users:
        return None
    return Principal(users[0].id, users[0].account_id, users[0].email)


def into_account(
    services: Services, who: Principal, data: Mapping[str, Any], seeded: Seeded | None = None
) -> Seeded:
    """Create ``data``'s custom fields and leads in ``who``'s account."""
    seeded = seeded or Seeded()
    label = data.get("name") or who.account_id
    for i, body in enumerate(_list(data, "custom_fields")):
        try:
            services.create_custom_field_definition(who, body)
        except VerdigrisError as exc:
            raise FixtureError(f"account {label!r}: custom field {i}: {exc.message}") from None
        seeded.custom_fields += 1
    leads = _list(data, "leads")
    if leads:
        seeded.leads += _create_leads(services, who, leads, label, seeded.errors)
    return seeded


def _list(data: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise FixtureError(f"{key} must be a list")
    return value


def _create_leads(
    services: Services, who: Principal, leads: Iterable[Any], label: Any, errors: list[Any]
) -> int:
    """Leads created in groups sharing a commit (each lead its own savepoint)."""
    made = 0
    chunk: list[tuple[int, Any]] = []

    def flush() -> None:
        nonlocal made
        store = services.store
        with store.batch() as batch:  # type: ignore[attr-defined]
            inside = services.using(batch)
            for index, body in chunk:
                try:
                    inside.create_lead(who, body)
                    made += 1
                except VerdigrisError as exc:
                    errors.append({"account": label, "lead": index, "message": exc.message})
        chunk.clear()

    for item in enumerate(leads):
        chunk.append(item)
        if len(chunk) >= 500:
            flush()
    if chunk:
        flush()
    return made
