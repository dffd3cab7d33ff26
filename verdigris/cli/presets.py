"""Other CRMs' export headers as Copper fields, and each CRM's value conventions.

A header is compared by its :func:`header_key`: letters and digits only, lower-cased, so
``E-mail``, ``e_mail`` and ``EMAIL`` are one key. :data:`ALIASES` holds the headers every
CRM's export shares; a :class:`Preset` (``--from copper|hubspot|salesforce|pipedrive``) adds
that CRM's own headers, the columns its export computes (ignored), its list separator, its
date formats, and its status and source names with the Copper names they stand for.

Targets are Copper field names (see :mod:`verdigris.cli.rows`), a list field with the
category its items get (``phone_numbers:mobile``, ``email:personal``), or a name to look
up on the server: ``status`` (a lead status), ``source`` (a customer source) and ``owner``
(a user, by email or name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


def header_key(text: str) -> str:
    """A header (or a name) as compared: letters and digits only, lower-cased."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _table(spec: Mapping[str, str]) -> dict[str, str]:
    """``{target: "header | header ..."}`` as ``{header key: target}``."""
    out: dict[str, str] = {}
    for target, headers in spec.items():
        for header in headers.split("|"):
            out[header_key(header)] = target
    return out


#: headers shared by the exports of most CRMs (and spreadsheets written by hand)
ALIASES = _table(
    {
        "name": "Name | Full Name | Lead Name | Contact Name | Person Name",
        "prefix": "Prefix | Salutation",
        "first_name": "First Name | Given Name | First",
        "middle_name": "Middle Name",
        "last_name": "Last Name | Surname | Family Name | Last",
        "suffix": "Suffix",
        "title": "Title | Job Title | Position",
        "company_name": "Company | Company Name | Organization | Organisation | "
        "Organization Name | Account Name | Company / Account | Employer",
        "email": "Email | E-mail | Email Address | E-mail Address | Work Email | "
        "Primary Email | Business Email",
        "email:personal": "Personal Email | Home Email",
        "phone_numbers:work": "Phone | Phone Number | Work Phone | Business Phone | "
        "Telephone | Office Phone | Direct Phone",
        "phone_numbers:mobile": "Mobile | Mobile Phone | Mobile Phone Number | "
        "Mobile Number | Cell | Cell Phone",
        "phone_numbers:home": "Home Phone",
        "websites:work": "Website | Website URL | Web Site | Web | URL | Work Website | "
        "Company Website",
        "socials:linkedin": "LinkedIn | LinkedIn URL | LinkedIn Profile",
        "socials:twitter": "Twitter | Twitter Handle | Twitter Username",
        "street": "Street | Street Address | Address | Address Line 1 | Address 1",
        "city": "City | Town",
        "state": "State | State/Region | State/Province | Province | Region",
        "postal_code": "Zip | Zip Code | Postal Code | Postcode | Zip/Postal Code",
        "country": "Country | Country/Region",
        "tags": "Tags | Tag | Labels | Label",
        "status": "Status | Lead Status",
        "source": "Source | Lead Source | Customer Source",
        "owner": "Owner | Lead Owner | Contact Owner | Assignee | Assigned To | "
        "Record Owner | Owner Email",
        "monetary_value": "Value | Annual Revenue | Amount | Lead Value | Monetary Value",
        "monetary_unit": "Currency | Currency Code | Lead Currency | Monetary Unit",
        "details": "Description | Details | Notes | Note",
    }
)

#: columns other exports compute (ids, dates kept by the other CRM): read, then ignored
READ_ONLY_HEADERS = frozenset(
    header_key(h)
    for h in (
        "ID", "Record ID", "Lead ID", "Contact ID", "Person ID", "Created", "Create Date",
        "Created Date", "Date Created", "Date Added", "Last Modified Date", "Date Modified",
        "Last Modified", "Last Activity Date", "Last Activity", "Created By",
        "Last Modified By", "Interaction Count", "Last Contacted",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Preset:
    """One CRM's export: its headers and its value conventions."""

    name: str
    #: the CRM's own headers (header key -> target), tried before :data:`ALIASES`
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: header keys of columns the CRM computes, ignored
    read_only: frozenset[str] = frozenset()
    #: prefixes the CRM puts before field names ("Person - Email"), dropped when the
    #: whole header is not known
    prefixes: tuple[str, ...] = ()
    #: characters between the items of a list cell (tags, multi-select custom fields)
    separators: str = ";"
    #: strptime formats of date cells, tried in order (then ISO 8601 and Unix seconds)
    date_formats: tuple[str, ...] = ()
    #: status name key -> the Copper status names it stands for, tried in order
    statuses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: source name key -> the Copper customer source names it stands for
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _names(spec: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {header_key(k): v for k, v in spec.items()}


def _keys(*headers: str) -> frozenset[str]:
    return frozenset(header_key(h) for h in headers)


COPPER = Preset(
    "copper",
    aliases=_table(
        {
            "websites:work": "Work Website",
            "websites:personal": "Personal Website",
            "socials:linkedin": "LinkedIn",
            "email:personal": "Personal Email",
            "phone_numbers:other": "Other Phone",
        }
    ),
    read_only=_keys("Visibility", "Date Added", "Date Modified", "Converted"),
    separators=",",
    date_formats=("%m/%d/%Y", "%m/%d/%Y %I:%M %p"),
)

HUBSPOT = Preset(
    "hubspot",
    aliases=_table(
        {
            "owner": "Contact owner | HubSpot Owner | Lead owner",
            "phone_numbers:mobile": "Mobile Phone Number",
            "websites:work": "Website URL",
            "street": "Street Address",
        }
    ),
    # HubSpot sets these itself (analytics and system properties)
    read_only=_keys(
        "Record ID",
        "Create Date",
        "Last Activity Date",
        "Original Source",
        "Original Source Drill-Down 1",
        "Original Source Drill-Down 2",
        "Became a Lead Date",
        "Last Modified Date",
        "Number of Sales Activities",
    ),
    separators=";",
    date_formats=("%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y"),
    statuses=_names(
        {
            "New": ("New",),
            "Open": ("Open", "New"),
            "In Progress": ("In Progress", "Contacted"),
            "Open Deal": ("Open Deal", "Qualified"),
            "Unqualified": ("Unqualified",),
            "Attempted to Contact": ("Attempted to Contact", "Contacted"),
            "Connected": ("Connected", "Contacted"),
            "Bad Timing": ("Bad Timing", "Unqualified"),
        }
    ),
)

SALESFORCE = Preset(
    "salesforce",
    aliases=_table(
        {
            "company_name": "Company / Account | Company",
            "phone_numbers:mobile": "Mobile | MobilePhone",
            "phone_numbers:other": "Fax",
            "owner": "Lead Owner | Owner Name | Owner Email",
            "source": "Lead Source | LeadSource",
            "status": "Lead Status | Status",
            "postal_code": "Zip/Postal Code | PostalCode",
            "state": "State/Province",
            "monetary_value": "Annual Revenue | AnnualRevenue",
            "monetary_unit": "Lead Currency | CurrencyIsoCode",
            "details": "Description",
        }
    ),
    read_only=_keys(
        "Lead ID",
        "Id",
        "Created Date",
        "CreatedDate",
        "Last Activity",
        "Last Modified Date",
        "LastModifiedDate",
        "Converted",
        "IsConverted",
        "Unread By Owner",
    ),
    separators=";",
    date_formats=("%m/%d/%Y", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M"),
    statuses=_names(
        {
            "Open - Not Contacted": ("Open - Not Contacted", "New"),
            "Working - Contacted": ("Working - Contacted", "Contacted"),
            "Closed - Converted": ("Closed - Converted", "Qualified"),
            "Closed - Not Converted": ("Closed - Not Converted", "Unqualified"),
        }
    ),
    sources=_names(
        {
            "Web": ("Web", "Web Form"),
            "Advertisement": ("Advertisement", "Advertising"),
            "Phone Inquiry": ("Phone Inquiry", "Cold Call"),
        }
    ),
)

PIPEDRIVE = Preset(
    "pipedrive",
    aliases=_table(
        {
            # a Pipedrive lead's title names the lead ("Acme lead"), not a job title
            "details": "Lead - Title",
            "email": "Email - Work | Email",
            "email:personal": "Email - Home",
            "email:other": "Email - Other",
            "phone_numbers:work": "Phone - Work | Phone",
            "phone_numbers:mobile": "Phone - Mobile",
            "phone_numbers:home": "Phone - Home",
            "phone_numbers:other": "Phone - Other",
            "monetary_value": "Lead - Value | Value",
            "monetary_unit": "Lead - Currency of Value | Currency of Value",
            "company_name": "Person - Organization | Organization - Name",
            "city": "City/town/village/locality",
            "state": "State/County",
            "postal_code": "ZIP/Postal code",
        }
    ),
    read_only=_keys(
        "Lead - ID",
        "Person - ID",
        "Organization - ID",
        "Lead - Source",
        "Lead - Lead created",
        "Lead - Created",
        "Person - Person created",
        "Person - Update time",
        "Lead - Update time",
        "Lead - Archived",
    ),
    prefixes=tuple(
        header_key(p)
        for p in (
            "Organization - Address -",
            "Person - Address -",
            "Lead -",
            "Person -",
            "Organization -",
        )
    ),
    separators=",",
    date_formats=("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"),
)

PRESETS = {p.name: p for p in (COPPER, HUBSPOT, SALESFORCE, PIPEDRIVE)}
#: no --from: the shared aliases, ``;`` between list items, ISO dates
PLAIN = Preset("none")


def alias_target(header: str, preset: Preset | None) -> tuple[str, str] | None:
    """``(target, how)`` for a header known to the preset or the shared aliases; target
    ``""`` for a column the other CRM computes (ignored). None when unknown."""
    preset = preset or PLAIN
    key = header_key(header)
    if not key:
        return None
    keys = [key, *(key[len(p) :] for p in preset.prefixes if key.startswith(p) and key != p)]
    for candidate in keys:
        if candidate in preset.aliases:
            return preset.aliases[candidate], f"{preset.name} header"
        if candidate in preset.read_only or candidate in READ_ONLY_HEADERS:
            return "", "computed by the other CRM: ignored"
        if candidate in ALIASES:
            return ALIASES[candidate], "alias"
    return None
