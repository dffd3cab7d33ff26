"""Lead search (issue 4): validate Copper's parameters, run one read transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verdigris.domain.search import parse_search
from verdigris.services.base import Principal, ServiceBase, Shown, TxContext


class SearchServices(ServiceBase):
    def search_leads(self, who: Principal, params: Mapping[str, Any]) -> tuple[int, list[Shown]]:
        """``(total matches, this page of leads)`` for Copper's search parameters."""
        query = parse_search(params).at(self.clock())
        with self.store.transaction(write=False) as tx:
            total, leads = tx.search_leads(who.account_id, query)
            ctx = TxContext(tx, who.account_id)
            return total, [ctx.show(lead) for lead in leads]
