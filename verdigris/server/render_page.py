"""A page of leads in Copper's shape, rendered from their stored wire forms (search results).

:func:`leads_out` gives, for every lead of a :class:`LeadPage`, exactly the JSON of
``render.lead_out`` (tests/server/test_lead_page.py compares the bytes) at a fraction
of the cost: no :class:`Lead`, no ``LeadOut``, no struct at all. Each lead's stored wire
form (``leads.wire``, :mod:`verdigris.store.wire_form`) holds its JSON with five values
left to fill: the id, ``interaction_count`` and ``date_last_contacted`` from their
columns, ``status`` from the account's statuses, and ``custom_fields``, rendered here
by the same code as ``render.lead_out``; one ``bytes %`` per lead fills them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.server.render import custom_field_out
from verdigris.services import LeadPage
from verdigris.wire import CustomFieldValueOut

_custom_values = msgspec.json.Decoder(dict[int, Any])  # as the store decodes them
#: the stored values left as their JSON text (see _as_stored)
_raw_values = msgspec.json.Decoder(dict[int, msgspec.Raw])
_NO_VALUES = "{}"
_NULL = b"null"
_encode = msgspec.json.Encoder().encode
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


def leads_out(page: LeadPage, computed: bool = False) -> list[msgspec.Raw]:
    """Every lead of ``page`` as ``render.lead_out`` renders it, as JSON text."""
    encode = _encode
    statuses = {ident: encode(name) for ident, name in page.statuses.items()}
    definitions = page.definitions
    unset = [custom_field_out(d, None, computed) for d in definitions]
    no_values = encode(unset)
    as_stored = all(_as_stored(d, computed) for d in definitions)
    #: (id, the entry of an unset value) per definition, for values spliced as stored
    spliced = [(d.id, entry) for d, entry in zip(definitions, unset, strict=True)]
    value_out = CustomFieldValueOut
    raw = msgspec.Raw
    out: list[msgspec.Raw] = []
    rows: Sequence[Any] = page.leads
    for ident, wire, count, status_id, custom_fields, contacted in rows:
        if custom_fields == _NO_VALUES:
            values = no_values
        elif as_stored and "null" not in custom_fields:  # a stored null renders as unset
            texts = _raw_values.decode(custom_fields)
            values = encode(
                [
                    entry
                    if (text := texts.get(key)) is None
                    else (value_out(key, text, text) if computed else value_out(key, text))
                    for key, entry in spliced
                ]
            )
        else:
            stored = _custom_values.decode(custom_fields)
            values = encode([custom_field_out(d, stored.get(d.id), computed) for d in definitions])
        status = _NULL if status_id is None else statuses.get(status_id, _NULL)
        last = _NULL if contacted is None else b"%d" % contacted
        out.append(raw(wire % (ident, count, status, values, last)))
    return out
