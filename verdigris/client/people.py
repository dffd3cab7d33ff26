"""The SDK's people and companies calls (issue 21), as sans-I/O steps over a
:class:`~verdigris.client.core.Core`: ``aio.py`` (and the generated ``sync.py``) run them.

Copper's ``POST /people`` and ``POST /companies`` are never retried once sent (a retry
could create a second record); updates, reads and searches are retried like GETs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from verdigris.client.core import Core, Request, Step, decode
from verdigris.wire import CompanyOut, DeletedOut, PersonOut

R = TypeVar("R")


@dataclass(frozen=True)
class RecordPage(Generic[R]):
    """One page of ``POST /people/search`` or ``POST /companies/search``; ``total`` is the
    server's ``X-PW-TOTAL`` (None when absent)."""

    records: list[R]
    total: int | None


def _page(
    core: Core,
    path: str,
    kind: type[R],
    filters: Mapping[str, Any] | None,
    page_number: int,
    page_size: int,
) -> Step[RecordPage[R]]:
    body = {**(filters or {}), "page_number": page_number, "page_size": page_size}
    reply = yield from core.exchange(Request.json("POST", path, body))
    total = reply.headers.get("x-pw-total", "")
    return RecordPage(decode(reply.content, list[kind]), int(total) if total.isdigit() else None)  # type: ignore[valid-type]


def create_person(core: Core, person: Mapping[str, Any]) -> Step[PersonOut]:
    return core.call(core.create_request("/people", person), PersonOut)


def get_person(core: Core, person_id: int) -> Step[PersonOut]:
    return core.call(Request("GET", f"/people/{int(person_id)}"), PersonOut)


def update_person(core: Core, person_id: int, changes: Mapping[str, Any]) -> Step[PersonOut]:
    return core.call(Request.json("PUT", f"/people/{int(person_id)}", changes), PersonOut)


def delete_person(core: Core, person_id: int) -> Step[DeletedOut]:
    return core.call(Request("DELETE", f"/people/{int(person_id)}"), DeletedOut)


def fetch_person_by_email(core: Core, email: str) -> Step[PersonOut]:
    return core.call(Request.json("POST", "/people/fetch_by_email", {"email": email}), PersonOut)


def search_people_page(
    core: Core, filters: Mapping[str, Any] | None, page_number: int, page_size: int
) -> Step[RecordPage[PersonOut]]:
    return _page(core, "/people/search", PersonOut, filters, page_number, page_size)


def create_company(core: Core, company: Mapping[str, Any]) -> Step[CompanyOut]:
    return core.call(core.create_request("/companies", company), CompanyOut)


def get_company(core: Core, company_id: int) -> Step[CompanyOut]:
    return core.call(Request("GET", f"/companies/{int(company_id)}"), CompanyOut)


def update_company(core: Core, company_id: int, changes: Mapping[str, Any]) -> Step[CompanyOut]:
    return core.call(Request.json("PUT", f"/companies/{int(company_id)}", changes), CompanyOut)


def delete_company(core: Core, company_id: int) -> Step[DeletedOut]:
    return core.call(Request("DELETE", f"/companies/{int(company_id)}"), DeletedOut)


def search_companies_page(
    core: Core, filters: Mapping[str, Any] | None, page_number: int, page_size: int
) -> Step[RecordPage[CompanyOut]]:
    return _page(core, "/companies/search", CompanyOut, filters, page_number, page_size)
