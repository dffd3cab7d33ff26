"""Lead search (issue 4): validate Copper's parameters, run one read transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from verdigris.domain.custom_field_filters import parse_custom_filters
from verdigris.domain.search import SearchQuery, parse_search
from verdigris.services.base import LeadPage, Principal, ServiceBase, TxContext


class SearchServices(ServiceBase):
    def search_lead_page(self, who: Principal, params: Mapping[str, Any]) -> tuple[int, LeadPage]:
        """``(total matches, this page of leads)`` for Copper's search parameters
        (``POST /leads/search``), the leads as stored, for rendering: no :class:`Lead`
        is built per row."""
        query = parse_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            ctx = self.context(tx, who.account_id)
            query = _with_custom(query, params, ctx)
            total, leads = tx.leads.search(who.account_id, query)
            return total, ctx.page(leads)


def _with_custom(query: SearchQuery, params: Mapping[str, Any], ctx: TxContext) -> SearchQuery:
    """``query`` with the custom field filters of ``params`` (checked against the account)."""
    custom = parse_custom_filters(params.get("custom_fields"), ctx.all_fields)
    return replace(query, custom_fields=custom) if custom else query
