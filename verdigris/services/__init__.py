"""Use cases. Each public method is one transaction on the store.

Services speak domain objects; :mod:`verdigris.server.wire` turns them into Copper
JSON. Nothing here knows about HTTP. :class:`Services` gathers one mixin per area.
"""

from __future__ import annotations

from verdigris.services.accounts import AccountServices
from verdigris.services.base import ItemFailure, Principal, Shown, TxContext, hash_key, now
from verdigris.services.leads import LeadServices
from verdigris.services.search import SearchServices


class Services(
    LeadServices,
    AccountServices,
    SearchServices,
):
    """The use cases of verdigris, over one store."""


__all__ = ["ItemFailure", "Principal", "Services", "Shown", "TxContext", "hash_key", "now"]
