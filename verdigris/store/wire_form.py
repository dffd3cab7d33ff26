"""A lead's stored wire form (``leads.wire``, migration 0018): its JSON as Copper's
``LeadOut``, written with the row, less the five values a page fills in when it is read.

A search page of 200 leads spent most of its CPU turning 35 columns x 200 rows into
Python values and rendering them again (docs/performance.md, "A search page's CPU on
SQLite"). With the wire form a page reads six columns per lead and renders each lead
with one ``bytes %``:

- ``id`` (an insert learns it from the database), ``interaction_count`` and
  ``date_last_contacted`` (written by ``set_interactions`` without the rest of the row)
  are left as ``%d`` / ``%b`` and filled from their columns;
- ``status`` depends on the account's statuses and ``custom_fields`` on its
  definitions (and on ``custom_field_computed_values``): the renderer fills them in.

The template is ``LeadOut``'s JSON, built by msgspec from the stored fields exactly as
the search renderer built it from the columns before (same structs, same encoder), with
one-byte placeholders where the filled values go, then every ``%`` doubled and each
placeholder replaced by its conversion. The placeholders are control characters, which
msgspec's JSON never holds unescaped, and the lists spliced in (socials, tags, websites,
phone numbers) are JSON text that msgspec wrote (:func:`~verdigris.store.lead_rows.lead_row`).
``tests/server/test_lead_page.py`` compares a page with ``render.lead_out`` byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import msgspec

from verdigris.store.base import LeadFields
from verdigris.wire import CONVERTED_KEYS, LEAD_KEYS, AddressOut, EmailOut

_STORED = LeadFields._fields
#: what the template holds in place of a stored value (a computed name replaces a
#: stored field of the same name)
_COMPUTED = (
    "address",
    "email",
    "status",
    "monetary_value",
    "converted_value",
    "socials",
    "tags",
    "websites",
    "phone_numbers",
    "custom_fields",
)
_PLAIN_KEYS = [k for k in LEAD_KEYS if k not in CONVERTED_KEYS]


def _picker(keys: list[str]) -> itemgetter[Any]:
    """Picks ``keys`` out of a stored row followed by the computed values."""
    where = {k: i for i, k in enumerate((*_STORED, *_COMPUTED))}  # computed names win
    return itemgetter(*(where[k] for k in keys))


_pick = _picker(_PLAIN_KEYS)
_pick_converted = _picker(list(LEAD_KEYS))
# positional structs: what msgspec encodes as JSON objects in the given key order
_Lead = msgspec.defstruct("_Lead", _PLAIN_KEYS, gc=False)
_ConvertedLead = msgspec.defstruct("_ConvertedLead", list(LEAD_KEYS), gc=False)
_ADDRESS = slice(_STORED.index("street"), _STORED.index("country") + 1)
_NO_ADDRESS = (None,) * (_ADDRESS.stop - _ADDRESS.start)
_ID = _STORED.index("id")
_INTERACTION_COUNT = _STORED.index("interaction_count")
_DATE_LAST_CONTACTED = _STORED.index("date_last_contacted")
_EMAIL = _STORED.index("email")
_EMAIL_CATEGORY = _STORED.index("email_category")
_MONETARY_VALUE = _STORED.index("monetary_value")
_CONVERTED_VALUE = _STORED.index("converted_value")
_CONVERTED_AT = _STORED.index("converted_at")
_SOCIALS = _STORED.index("socials")
_TAGS = _STORED.index("tags")
_WEBSITES = _STORED.index("websites")
_PHONE_NUMBERS = _STORED.index("phone_numbers")
_encode = msgspec.json.Encoder().encode

#: placeholder, then what replaces it in the template, in the order of the values that
#: fill it (``wire % (id, interaction_count, status, custom_fields, date_last_contacted)``,
#: status and custom fields as JSON text, ``date_last_contacted`` as ``null`` or digits:
#: verdigris.server.render_page)
_HOLES = ((b"\x01", b"%d"), (b"\x02", b"%d"), (b"\x03", b"%b"), (b"\x04", b"%b"), (b"\x05", b"%b"))
_HOLE_ID, _HOLE_COUNT, _HOLE_STATUS, _HOLE_CUSTOM, _HOLE_CONTACTED = (
    msgspec.Raw(hole) for hole, _ in _HOLES
)

#: the columns of a lead that its wire form holds (a change to any other column leaves
#: the wire form as it is)
COLUMNS = frozenset(_STORED) - {"id", "interaction_count", "date_last_contacted", "custom_fields"}


def _whole(amount: Any) -> Any:
    """Amounts are stored as floats; whole ones render as integers, as on Lead."""
    if type(amount) is float and amount.is_integer():
        return int(amount)
    return amount


def template(row: Sequence[Any]) -> bytes:
    """The wire form of a lead whose stored fields are ``row``, in :class:`LeadFields`'
    order (the five values a page fills in are not read)."""
    stored = list(row)
    stored[_ID] = _HOLE_ID
    stored[_INTERACTION_COUNT] = _HOLE_COUNT
    stored[_DATE_LAST_CONTACTED] = _HOLE_CONTACTED
    address = tuple(row[_ADDRESS])
    email = row[_EMAIL]
    converted = row[_CONVERTED_AT] is not None
    raw = msgspec.Raw
    fields = (
        *stored,
        None if address == _NO_ADDRESS else AddressOut(*address),
        EmailOut(email, row[_EMAIL_CATEGORY]) if email is not None else None,
        _HOLE_STATUS,
        _whole(row[_MONETARY_VALUE]),
        _whole(row[_CONVERTED_VALUE]) if converted else None,
        raw(row[_SOCIALS]),
        raw(row[_TAGS]),
        raw(row[_WEBSITES]),
        raw(row[_PHONE_NUMBERS]),
        _HOLE_CUSTOM,
    )
    lead = _ConvertedLead(*_pick_converted(fields)) if converted else _Lead(*_pick(fields))
    out = _encode(lead).replace(b"%", b"%%")
    for hole, conversion in _HOLES:
        out = out.replace(hole, conversion)
    return out


#: the stored fields of a ``lead_row`` mapping, in LeadFields' order after ``id`` (one C call)
_from_mapping = itemgetter(*_STORED[1:])


def from_row(row: Mapping[str, Any]) -> bytes:
    """:func:`template` of a row of ``leads`` as a mapping (``lead_row``'s, no ``id``),
    with its values as the database will hand them back: amounts as floats (2**53 + 1
    is read back as 9007199254740992.0)."""
    values: list[Any] = [None, *_from_mapping(row)]
    for i in (_MONETARY_VALUE, _CONVERTED_VALUE):
        amount = values[i]
        if amount is not None:
            values[i] = float(amount)
    return template(values)
