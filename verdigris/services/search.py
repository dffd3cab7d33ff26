"""Lead search (issue 4): validate Copper's parameters, run one read transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from verdigris.domain.custom_field_filters import parse_custom_filters
from verdigris.domain.search import SearchQuery, parse_search
from verdigris.services.base import LeadPage, Principal, ServiceBase, Shown, TxContext


class SearchServices(ServiceBase):
    def search_leads(self, who: Principal, params: Mapping[str, Any]) -> tuple[int, list[Shown]]:
        """``(total matches, this page of leads)`` for Copper's search parameters."""
        query = parse_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            ctx = self.context(tx, who.account_id)
            total, leads = tx.leads.search(who.account_id, _with_custom(query, params, ctx))
            return total, [ctx.show(lead) for lead in leads]

    def search_lead_page(self, who: Principal, params: Mapping[str, Any]) -> tuple[int, LeadPage]:
        """:meth:`search_leads` for rendering only (``POST /leads/search``): the same
        total and leads, without building a :class:`Lead` per row."""
        query = parse_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            ctx = self.context(tx, who.account_id)
            query = _with_custom(query, params, ctx)
            total, leads = tx.leads.search_fields(who.account_id, query)
            return total, ctx.page(leads)


def _with_custom(query: SearchQuery, params: Mapping[str, Any], ctx: TxContext) -> SearchQuery:
    """``query`` with the custom field filters of ``params`` (checked against the account)."""
    custom = parse_custom_filters(params.get("custom_fields"), ctx.all_fields)
    return replace(query, custom_fields=custom) if custom else query
