"""``POST /leads/search``: a bare JSON array of leads, the total in ``X-PW-TOTAL``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.datastructures import QueryParams

from verdigris import wire
from verdigris.domain.search import search_params
from verdigris.server import render_page
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes.leads import computed
from verdigris.services import Services


def query_items(query: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """Every (key, value) of a query string, repeated keys included."""
    # Starlette's QueryParams keeps repeated keys; a plain mapping (tests) has one each
    if isinstance(query, QueryParams):
        return query.multi_items()
    return query.items()


def search_leads(services: Services, call: Call) -> Reply:
    params = search_params(call.body, query_items(call.query))
    total, page = services.search_lead_page(call.principal, params)
    return Reply(render_page.leads_out(page, computed(call)), {"X-PW-TOTAL": str(total)})


async def search_leads_on_loop(services: Services, call: Call) -> Reply | None:
    params = search_params(call.body, query_items(call.query))
    found = await services.search_lead_page_on_loop(call.principal, params)
    if found is None:
        return None
    total, page = found
    return Reply(render_page.leads_out(page, computed(call)), {"X-PW-TOTAL": str(total)})


ROUTES = [
    RouteSpec(
        "POST",
        "/leads/search",
        search_leads,
        "Search leads (filters, sort, paging); the total is in the X-PW-TOTAL header",
        request=wire.LeadSearchIn,
        response=list[wire.LeadOut],
        writes=False,
        on_loop=search_leads_on_loop,
    ),
]
