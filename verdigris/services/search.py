"""Lead search (issue 4): validate Copper's parameters, run one read transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from verdigris.domain.custom_field_filters import parse_custom_filters
from verdigris.domain.search import SearchQuery, parse_search
from verdigris.services.base import LeadPage, Principal, ServiceBase, TxContext, lead_page


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

    async def search_lead_page_on_loop(
        self, who: Principal, params: Mapping[str, Any]
    ) -> tuple[int, LeadPage] | None:
        """:meth:`search_lead_page` on the store's event-loop connections
        (``Store.loop_reads``, which the caller has checked is there): the account's
        definitions version and the data version in one statement, then the page.

        It runs only with the account's statuses and current definitions in the process
        cache (the custom field filters are checked against them); None when they are
        not, or when a lead of the page has no stored wire form (call
        :meth:`search_lead_page`, which loads them, and makes it)."""
        reads = self.store.loop_reads
        assert reads is not None
        query = parse_search(params).at(self.clock())
        if self.cache.statuses.get(who.account_id) is None:
            return None  # (not worth the version's round trip)
        version, data_version = await reads.search_version(who.account_id)
        cached = self.cached_lookups(who.account_id, version)
        if cached is None:
            return None
        statuses, all_fields = cached
        custom = parse_custom_filters(params.get("custom_fields"), all_fields)
        if custom:
            query = replace(query, custom_fields=custom)
        total, leads = await reads.search(who.account_id, query, data_version)
        if any(row[1] is None for row in leads):
            # a lead written without its wire form (by a server older than migration
            # 0018): the store's search makes it from the row's columns
            return None
        return total, lead_page(leads, statuses, all_fields)


def _with_custom(query: SearchQuery, params: Mapping[str, Any], ctx: TxContext) -> SearchQuery:
    """``query`` with the custom field filters of ``params`` (checked against the account)."""
    custom = parse_custom_filters(params.get("custom_fields"), ctx.all_fields)
    return replace(query, custom_fields=custom) if custom else query
