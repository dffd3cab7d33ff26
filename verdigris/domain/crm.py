"""The few CRM records a lead conversion creates or references.

People, companies and opportunities exist in verdigris only as far as
``POST /leads/{id}/convert`` needs them (read and delete by id); pipelines and
contact types are the account lookups they point to. Field names and meanings are
Copper's; conversion into Copper JSON happens in :mod:`verdigris.server.render`.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from verdigris.domain.leads import Address, Email, Link, Phone

#: Copper's default pipeline, as its own example shows it (name, win probability %)
DEFAULT_PIPELINES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (
        "Sales",
        (
            ("Qualified", 5),
            ("Follow-up", 10),
            ("Presentation", 20),
            ("Contract Sent", 40),
            ("Negotiation", 80),
        ),
    ),
)
DEFAULT_CONTACT_TYPES = ("Potential Customer", "Current Customer", "Uncategorized", "Other")
#: the contact types Copper's conversion example gives a new person and a new company
PERSON_CONTACT_TYPE = "Uncategorized"
COMPANY_CONTACT_TYPE = "Potential Customer"
#: webmail domains never become a company's ``email_domain``
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "yandex.ru",
        "qq.com",
    }
)
_LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "bv",
        "nv",
        "plc",
        "pty",
        "srl",
    }
)
_PUNCTUATION = re.compile(r"[^\w\s&]+")


class ConvertedFrom(msgspec.Struct, frozen=True):
    """One entry of ``leads_converted_from``: the lead and when it was converted."""

    lead_id: int
    converted_timestamp: int


class Person(msgspec.Struct, kw_only=True):
    id: int = 0
    account_id: int
    name: str | None = None
    prefix: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None
    address: Address | None = None
    assignee_id: int | None = None
    company_id: int | None = None
    company_name: str | None = None
    contact_type_id: int | None = None
    details: str | None = None
    emails: list[Email] = msgspec.field(default_factory=list)
    phone_numbers: list[Phone] = msgspec.field(default_factory=list)
    socials: list[Link] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    title: str | None = None
    websites: list[Link] = msgspec.field(default_factory=list)
    custom_fields: dict[int, Any] = msgspec.field(default_factory=dict)
    date_created: int = 0
    date_modified: int = 0
    date_last_contacted: int | None = None
    interaction_count: int = 0
    leads_converted_from: list[ConvertedFrom] = msgspec.field(default_factory=list)
    date_lead_created: int | None = None


class Company(msgspec.Struct, kw_only=True):
    id: int = 0
    account_id: int
    name: str
    name_key: str = ""
    address: Address | None = None
    assignee_id: int | None = None
    contact_type_id: int | None = None
    details: str | None = None
    email_domain: str | None = None
    phone_numbers: list[Phone] = msgspec.field(default_factory=list)
    socials: list[Link] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    websites: list[Link] = msgspec.field(default_factory=list)
    custom_fields: dict[int, Any] = msgspec.field(default_factory=dict)
    interaction_count: int = 0
    date_created: int = 0
    date_modified: int = 0


class Opportunity(msgspec.Struct, kw_only=True):
    id: int = 0
    account_id: int
    name: str
    assignee_id: int | None = None
    close_date: str | None = None
    company_id: int | None = None
    company_name: str | None = None
    customer_source_id: int | None = None
    details: str | None = None
    loss_reason_id: int | None = None
    pipeline_id: int
    pipeline_stage_id: int
    primary_contact_id: int | None = None
    priority: str | None = "None"
    status: str = "Open"
    tags: list[str] = msgspec.field(default_factory=list)
    interaction_count: int = 0
    monetary_unit: str | None = None
    monetary_value: float | int | None = None
    win_probability: int = 0
    date_stage_changed: int | None = None
    date_last_contacted: int | None = None
    leads_converted_from: list[ConvertedFrom] = msgspec.field(default_factory=list)
    date_lead_created: int | None = None
    date_created: int = 0
    date_modified: int = 0
    custom_fields: dict[int, Any] = msgspec.field(default_factory=dict)


class Stage(msgspec.Struct, frozen=True):
    id: int
    pipeline_id: int
    name: str
    win_probability: int


class Pipeline(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    name: str
    stages: tuple[Stage, ...]


class ContactType(msgspec.Struct, frozen=True):
    id: int
    account_id: int
    name: str


def company_key(name: str) -> str:
    """The form company names are fuzzily compared in.

    Lower-cased, punctuation dropped, spaces collapsed, trailing legal forms
    removed: "Dunder Mifflin, Inc." and "dunder  mifflin" share a key.
    """
    words = _PUNCTUATION.sub(" ", name.lower()).split()
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)[:255]


def email_domain(email: Email | None) -> str | None:
    """The company domain of an address, or ``None`` for webmail and odd addresses."""
    if email is None or "@" not in email.email:
        return None
    domain = email.email.rsplit("@", 1)[1].strip().lower()
    if not domain or "." not in domain or domain in FREE_MAIL_DOMAINS:
        return None
    return domain
