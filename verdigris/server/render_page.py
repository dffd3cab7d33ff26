"""A page of leads in Copper's shape, rendered from their stored fields (search results).

:func:`leads_out` gives, for every lead of a :class:`LeadPage`, exactly the JSON of
``render.lead_out`` (tests/server/test_lead_page.py compares the bytes) at a fraction
of the cost: no :class:`Lead`, no ``LeadOut``, and the lists the store keeps as JSON
(socials, websites, phone numbers, tags) are spliced in as they are stored
(``msgspec.Raw``) instead of being decoded and encoded again. That is only right
because the store writes them with msgspec from ``Phone``/``Link``/``str`` lists,
whose encoding is the wire's: ``[{"number":…,"category":…}]``, ``[{"url":…,…}]``.
Custom field values are decoded and rendered by the same code as ``render.lead_out``.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import msgspec

from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.server.render import custom_field_out
from verdigris.services import LeadPage
from verdigris.store.base import LeadFields
from verdigris.wire import CONVERTED_KEYS, LEAD_KEYS, AddressOut, CustomFieldValueOut, EmailOut

# A row holds the stored fields in LeadFields' order (the store's one declaration); the
# renderer adds the values it computes, then picks LeadOut's keys from both, in LeadOut's
# order (the wire's one declaration). Positional structs are the cheapest objects msgspec
# encodes as JSON objects (keywords cost some 15 times more to construct).
_STORED = LeadFields._fields
#: what is computed per lead; a stored field of the same name is replaced
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
# gc=False: a page's leads hold only values and lists of values, never a cycle, so the
# garbage collector need not track 200 more objects per page (and visit them)
_Lead = msgspec.defstruct("_Lead", _PLAIN_KEYS, gc=False)
_ConvertedLead = msgspec.defstruct("_ConvertedLead", list(LEAD_KEYS), gc=False)
_ADDRESS = slice(_STORED.index("street"), _STORED.index("country") + 1)
_NO_ADDRESS = (None,) * (_ADDRESS.stop - _ADDRESS.start)
_EMAIL = _STORED.index("email")
_EMAIL_CATEGORY = _STORED.index("email_category")
_STATUS_ID = _STORED.index("status_id")
_MONETARY_VALUE = _STORED.index("monetary_value")
_CONVERTED_VALUE = _STORED.index("converted_value")
_CONVERTED_AT = _STORED.index("converted_at")
_SOCIALS = _STORED.index("socials")
_TAGS = _STORED.index("tags")
_WEBSITES = _STORED.index("websites")
_PHONE_NUMBERS = _STORED.index("phone_numbers")
_CUSTOM_FIELDS = _STORED.index("custom_fields")
_custom_values = msgspec.json.Decoder(dict[int, Any])  # as the store decodes them
#: the stored values left as their JSON text (see _as_stored)
_raw_values = msgspec.json.Decoder(dict[int, msgspec.Raw])
_NO_VALUES = "{}"
#: types whose stored value is not always rendered as stored (render_value: whole
#: amounts shown as floats), and, with computed values, whose computed value is not
#: the value (option labels)
_RENDERED = frozenset({"Float", "Currency"})
_COMPUTED_LABELS = frozenset({"Dropdown", "MultiSelect"})


def _as_stored(definition: CustomFieldDefinition, computed: bool) -> bool:
    """Whether a stored value of ``definition`` renders as its stored JSON text.

    The store writes the values with msgspec (``lead_row``), which is also what
    decoding them and encoding the result would give, so splicing the text is the same
    bytes as ``custom_field_out`` for these types (tests/server/test_lead_page.py)."""
    if definition.data_type in _RENDERED:
        return False
    return not (computed and definition.data_type in _COMPUTED_LABELS)


def _whole(amount: Any) -> Any:
    """Amounts are stored as floats; whole ones render as integers, as on Lead."""
    if type(amount) is float and amount.is_integer():
        return int(amount)
    return amount


def leads_out(page: LeadPage, computed: bool = False) -> list[Any]:
    """Every lead of ``page`` as ``render.lead_out`` renders it, ready for the encoder."""
    statuses = page.statuses
    definitions = page.definitions
    unset = [custom_field_out(d, None, computed) for d in definitions]
    as_stored = all(_as_stored(d, computed) for d in definitions)
    #: (id, the entry of an unset value) per definition, for values spliced as stored
    spliced = [(d.id, entry) for d, entry in zip(definitions, unset, strict=True)]
    value_out = CustomFieldValueOut
    raw = msgspec.Raw
    out: list[Any] = []
    rows: Sequence[Any] = page.leads
    for row in rows:
        address = row[_ADDRESS]
        email = row[_EMAIL]
        status_id = row[_STATUS_ID]
        custom_fields = row[_CUSTOM_FIELDS]
        if custom_fields == _NO_VALUES:
            values = unset
        elif as_stored and "null" not in custom_fields:  # a stored null renders as unset
            texts = _raw_values.decode(custom_fields)
            values = [
                entry
                if (text := texts.get(ident)) is None
                else (value_out(ident, text, text) if computed else value_out(ident, text))
                for ident, entry in spliced
            ]
        else:
            stored = _custom_values.decode(custom_fields)
            values = [custom_field_out(d, stored.get(d.id), computed) for d in definitions]
        converted = row[_CONVERTED_AT] is not None
        amount = row[_MONETARY_VALUE]
        if type(amount) is float and amount.is_integer():
            amount = int(amount)
        fields = (
            *row,
            None if address == _NO_ADDRESS else AddressOut(*address),
            EmailOut(email, row[_EMAIL_CATEGORY]) if email is not None else None,
            statuses.get(status_id) if status_id is not None else None,
            amount,
            _whole(row[_CONVERTED_VALUE]) if converted else None,
            raw(row[_SOCIALS]),
            raw(row[_TAGS]),
            raw(row[_WEBSITES]),
            raw(row[_PHONE_NUMBERS]),
            values,
        )
        if converted:
            out.append(_ConvertedLead(*_pick_converted(fields)))
        else:
            out.append(_Lead(*_pick(fields)))
    return out
