"""Who the caller is and the account's lookups."""

from __future__ import annotations

from verdigris import wire
from verdigris.domain.errors import NotFound
from verdigris.domain.search import merge_params
from verdigris.domain.values import parse_int, parse_paging
from verdigris.server import render
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes.search import query_items
from verdigris.services import Services
from verdigris.wire import catalogue


def account(services: Services, call: Call) -> wire.AccountOut:
    return render.account_out(services.account(call.principal))


async def account_on_loop(services: Services, call: Call) -> wire.AccountOut:
    return render.account_out(await services.account_on_loop(call.principal))


def users(services: Services, call: Call) -> list[wire.UserOut]:
    return [render.user_out(u) for u in services.users(call.principal)]


def search_users(services: Services, call: Call) -> Reply:
    """Copper's documented way to list users: ``page_number``/``page_size``, in id order."""
    page_number, page_size = parse_paging(merge_params(call.body, query_items(call.query)))
    everyone = services.users(call.principal)
    start = (page_number - 1) * page_size
    page = [render.user_out(u) for u in everyone[start : start + page_size]]
    return Reply(page, {"X-PW-TOTAL": str(len(everyone))})


def user(services: Services, call: Call) -> wire.UserOut:
    raw = call.path["id"]
    user_id = call.principal.user_id if raw == "me" else parse_int(raw)
    if user_id is None:
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    return render.user_out(services.user(call.principal, user_id))


def lead_statuses(services: Services, call: Call) -> list[wire.StatusOut]:
    return render.many(services.statuses(call.principal), wire.StatusOut)


def customer_sources(services: Services, call: Call) -> list[wire.SourceOut]:
    return render.many(services.sources(call.principal), wire.SourceOut)


ROUTES = [
    RouteSpec(
        "GET",
        "/account",
        account,
        "The caller's account",
        response=wire.AccountOut,
        on_loop=account_on_loop,
    ),
    RouteSpec("GET", "/users", users, "Users of the account", response=list[wire.UserOut]),
    RouteSpec(
        "POST",
        "/users/search",
        search_users,
        "List users, paged (Copper's List Users)",
        request=wire.PagingIn,
        response=list[wire.UserOut],
        writes=False,
    ),
    RouteSpec("GET", "/users/{id}", user, "A user by id (or 'me')", response=wire.UserOut),
    RouteSpec(
        "GET",
        "/lead_statuses",
        lead_statuses,
        "The account's lead statuses",
        response=list[wire.StatusOut],
    ),
    RouteSpec(
        "GET",
        "/customer_sources",
        customer_sources,
        "The account's customer sources",
        response=list[wire.SourceOut],
    ),
]
