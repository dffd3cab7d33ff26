"""Lead search (issue 4): validate Copper's parameters, run one read transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from verdigris.domain.custom_field_filters import parse_custom_filters
from verdigris.domain.search import parse_search
from verdigris.services.base import Principal, ServiceBase, Shown


class SearchServices(ServiceBase):
    def search_leads(self, who: Principal, params: Mapping[str, Any]) -> tuple[int, list[Shown]]:
        """``(total matches, this page of leads)`` for Copper's search parameters."""
        query = parse_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            ctx = self.context(tx, who.account_id)
            custom = parse_custom_filters(params.get("custom_fields"), ctx.all_fields)
            if custom:
                query = replace(query, custom_fields=custom)
            total, leads = tx.search_leads(who.account_id, query)
            return total, [ctx.show(lead) for lead in leads]
