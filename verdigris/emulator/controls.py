"""The emulator's control routes under /verdigris/v1 (registered only with the emulator on).

    GET    /verdigris/v1/emulator                      state: clock, rules, journal, snapshots
    POST   /verdigris/v1/emulator/reset                {"account_id": N} or {} (everything)
    POST   /verdigris/v1/emulator/seed                 a fixture (JSON), or text/csv leads
    GET    /verdigris/v1/emulator/snapshots            list
    POST   /verdigris/v1/emulator/snapshots            {"name": ..., "account_id": N}
    POST   /verdigris/v1/emulator/snapshots/{name}/restore
    DELETE /verdigris/v1/emulator/snapshots/{name}
    GET    /verdigris/v1/emulator/faults               the active rules
    POST   /verdigris/v1/emulator/faults               add a rule (faults.py)
    DELETE /verdigris/v1/emulator/faults               remove every rule
    DELETE /verdigris/v1/emulator/faults/{id}          remove one
    GET    /verdigris/v1/emulator/clock                the clock
    POST   /verdigris/v1/emulator/clock                {"freeze": true, "at": T} / {"advance": S}
                                                       / {"unfreeze": true} / {"reset": true}
    GET    /verdigris/v1/emulator/accounts             the accounts the caller may see
    GET    /verdigris/v1/emulator/leads                an account's leads (?q=, ?account_id=)
    GET    /verdigris/v1/emulator/webhooks             an account's webhook delivery attempts
    POST   /verdigris/v1/emulator/webhooks/{id}/replay send one again
    GET    /verdigris/v1/journal                       entries (?method ?path ?status ?after
                                                       ?limit ?account_id)
    DELETE /verdigris/v1/journal                       forget them

Who may call: see :meth:`Emulator.authorize` and docs/emulator.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from verdigris.domain.errors import NotFound, VerdigrisError
from verdigris.emulator import seed
from verdigris.emulator.core import Caller, Emulator, bad
from verdigris.emulator.faults import RuleError
from verdigris.emulator.journal import JournalFilter
from verdigris.server import render, render_page
from verdigris.server.routes.webhooks import attempt_out
from verdigris.services import Principal
from verdigris.wire import catalogue

BASE = "/verdigris/v1"
Handler = Callable[[Emulator, Caller, Request], Awaitable[Any]]


def _json(payload: Any, status: int = 200) -> Response:
    return Response(render.encoder.encode(payload), status, media_type="application/json")


def control(emulator: Emulator, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    from verdigris.server.app import error_response

    async def endpoint(request: Request) -> Response:
        try:
            caller = await emulator.authorize(request)
            result = await handler(emulator, caller, request)
        except (RuleError, seed.FixtureError) as exc:
            return error_response(bad(str(exc)))
        except Exception as exc:
            return error_response(exc)
        return result if isinstance(result, Response) else _json(result)

    endpoint.__name__ = handler.__name__
    return endpoint


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > 64 * 1024 * 1024:
        raise bad("the body is larger than 64 MB")
    return render.decode_body(raw) if raw.strip() else {}


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return body


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit():
        raise bad(f"{name} must be a whole number")
    return int(raw)


def _path_int(request: Request, name: str) -> int:
    raw = str(request.path_params.get(name, ""))
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    return int(raw)


def clock_json(emulator: Emulator) -> dict[str, Any]:
    clock = emulator.clock
    return {"now": clock(), "time": clock.time(), "frozen": clock.frozen, "offset": clock.offset}


# --- handlers ---------------------------------------------------------------------------


async def state(emu: Emulator, caller: Caller, request: Request) -> Any:
    own = caller.account_id
    return {
        "clock": clock_json(emu),
        "faults": len(emu.faults.visible(own)),
        "journal": {"entries": len(emu.journal), "size": emu.journal.size},
        "snapshots": [s.as_json() for (a, _), s in emu.snapshots.items() if own in (None, a)],
        "fast_reset": emu.undo is not None,
        "webhooks": True,
        "admin": caller.admin,
        "account_id": own,
    }


async def reset(emu: Emulator, caller: Caller, request: Request) -> Any:
    body = _object(await _body(request))
    account = caller.account(body.get("account_id"))
    return await emu.rt.run(emu.reset, account)


async def seed_data(emu: Emulator, caller: Caller, request: Request) -> Any:
    services = emu.rt.services
    if request.headers.get("content-type", "").startswith("text/csv"):
        text = (await request.body()).decode("utf-8-sig", "replace")
        fixture: dict[str, Any] = {"leads": seed.csv_leads(text)}
    else:
        fixture = _object(await _body(request))
    if "accounts" in fixture:
        caller.need_admin()
        done = await emu.rt.run(seed.apply, services, fixture)
    else:
        account = caller.account(_query_int(request, "account_id") or fixture.get("account_id"))
        if account is None:
            raise bad("name the account: account_id, or a fixture with accounts")
        who = await emu.rt.run(_someone_of, emu, account)
        done = await emu.rt.run(seed.into_account, services, who, fixture)
    emu.rt.services.cache.fields.clear()
    return done.as_json()


def _someone_of(emu: Emulator, account_id: int) -> Principal:
    with emu.store.transaction(write=False) as tx:
        users = tx.accounts.list_users(account_id)
    if not users:
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    return Principal(users[0].id, account_id, users[0].email)


async def list_snapshots(emu: Emulator, caller: Caller, request: Request) -> Any:
    own = caller.account_id
    return [s.as_json() for (a, _), s in emu.snapshots.items() if own in (None, a)]


def _snapshot_key(caller: Caller, request: Request, body: dict[str, Any]) -> tuple[int, str]:
    name = request.path_params.get("name", body.get("name"))
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise bad("a snapshot needs a name (at most 200 characters)")
    asked = body.get("account_id", _query_int(request, "account_id"))
    account = caller.account(asked)
    if account is None:
        raise bad("name the account: account_id")
    return account, name


async def save_snapshot(emu: Emulator, caller: Caller, request: Request) -> Any:
    account, name = _snapshot_key(caller, request, _object(await _body(request)))
    if account not in emu.account_ids():
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    snap = await emu.rt.run(emu.snapshot, account, name)
    return _json(snap.as_json(), 201)


async def restore_snapshot(emu: Emulator, caller: Caller, request: Request) -> Any:
    account, name = _snapshot_key(caller, request, _object(await _body(request)))
    snap = await emu.rt.run(emu.restore, account, name)
    return {"restored": snap.as_json()}


async def delete_snapshot(emu: Emulator, caller: Caller, request: Request) -> Any:
    account, name = _snapshot_key(caller, request, {})
    if emu.snapshots.pop((account, name), None) is None:
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    return {"deleted": name, "account_id": account}


async def list_faults(emu: Emulator, caller: Caller, request: Request) -> Any:
    return [r.as_json() for r in emu.faults.visible(caller.account_id)]


async def add_fault(emu: Emulator, caller: Caller, request: Request) -> Any:
    rule = emu.faults.add(await _body(request), account_id=caller.account_id)
    return _json(rule.as_json(), 201)


async def clear_faults(emu: Emulator, caller: Caller, request: Request) -> Any:
    emu.faults.clear(caller.account_id)
    return {"faults": []}


async def remove_fault(emu: Emulator, caller: Caller, request: Request) -> Any:
    raw = str(request.path_params["id"])
    if not raw.isdigit() or not emu.faults.remove(int(raw), caller.account_id):
        raise NotFound(catalogue.NOT_FOUND_MESSAGE)
    return {"deleted": int(raw)}


async def get_clock(emu: Emulator, caller: Caller, request: Request) -> Any:
    return clock_json(emu)


async def set_clock(emu: Emulator, caller: Caller, request: Request) -> Any:
    body = _object(await _body(request))
    clock = emu.clock
    at = body.get("at")
    advance = body.get("advance")
    for name, value in (("at", at), ("advance", advance)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise bad(f"{name} must be a number of seconds")
    if body.get("reset"):
        clock.reset()
    elif body.get("unfreeze"):
        clock.unfreeze()
    elif body.get("freeze") or at is not None:
        clock.freeze(at)
    if advance is not None:
        clock.advance(advance)
    if not any(body.get(k) is not None for k in ("reset", "unfreeze", "freeze", "at", "advance")):
        raise bad("say freeze, at, advance, unfreeze or reset")
    return clock_json(emu)


async def accounts(emu: Emulator, caller: Caller, request: Request) -> Any:
    from verdigris.store import schema

    own = caller.account_id

    def read() -> list[dict[str, Any]]:
        query = schema.accounts.select().order_by(schema.accounts.c.id)
        if own is not None:
            query = query.where(schema.accounts.c.id == own)
        with emu.store.engine.connect() as conn:
            return [{"id": r.id, "name": r.name} for r in conn.execute(query)]

    found: list[dict[str, Any]] = await emu.rt.run(read)
    return found


async def leads(emu: Emulator, caller: Caller, request: Request) -> Any:
    account = caller.account(_query_int(request, "account_id"))
    if account is None:
        raise bad("name the account: account_id")
    params: dict[str, Any] = {"page_size": 50, "sort_by": "date_modified", "sort_direction": "desc"}
    q = request.query_params.get("q", "").strip()
    if q:
        params["name"] = q
    who = await emu.rt.run(_someone_of, emu, account)
    total, page = await emu.rt.run(emu.rt.services.search_lead_page, who, params)
    return {"total": total, "leads": render_page.leads_out(page)}


async def webhooks(emu: Emulator, caller: Caller, request: Request) -> Any:
    """An account's webhook delivery attempts, newest first (the inbox, docs/webhooks.md);
    ``subscription_id``, ``delivery_id``, ``before_id`` and ``page_size`` narrow them."""
    account = caller.account(_query_int(request, "account_id"))
    if account is None:
        raise bad("name the account: account_id")
    query = {k: v for k, v in request.query_params.items() if k != "account_id"}
    who = await emu.rt.run(_someone_of, emu, account)
    found = await emu.rt.run(emu.rt.services.webhook_deliveries, who, query)
    return [msgspec.to_builtins(attempt_out(a)) for a in found]


async def replay_webhook(emu: Emulator, caller: Caller, request: Request) -> Any:
    """Send a recorded attempt again (``POST /verdigris/v1/webhooks/deliveries/{id}/replay``
    for the inspector, which holds no account key when signed in as the admin)."""
    account = caller.account(_query_int(request, "account_id"))
    if account is None:
        raise bad("name the account: account_id")
    attempt_id = _path_int(request, "id")
    who = await emu.rt.run(_someone_of, emu, account)
    replayed = await emu.rt.run(emu.rt.services.replay_webhook_delivery, who, attempt_id)
    emu.rt.wake_delivery()
    return {"replayed": replayed.id, "delivery_id": replayed.delivery_id}


async def journal(emu: Emulator, caller: Caller, request: Request) -> Any:
    fixed: dict[str, Any] = {}
    if caller.account_id is not None:
        fixed = {"account_id": caller.account_id, "only_account": True}
    try:
        where = JournalFilter.from_query(request.query_params, **fixed)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return [e.as_json() for e in emu.journal.entries(where)]


async def clear_journal(emu: Emulator, caller: Caller, request: Request) -> Any:
    emu.journal.clear(caller.account_id)
    return {"journal": []}


def routes(emulator: Emulator) -> list[Route]:
    def r(path: str, handler: Handler, method: str) -> Route:
        return Route(BASE + path, control(emulator, handler), methods=[method])

    return [
        r("/emulator", state, "GET"),
        r("/emulator/reset", reset, "POST"),
        r("/emulator/seed", seed_data, "POST"),
        r("/emulator/snapshots", list_snapshots, "GET"),
        r("/emulator/snapshots", save_snapshot, "POST"),
        r("/emulator/snapshots/{name}/restore", restore_snapshot, "POST"),
        r("/emulator/snapshots/{name}", delete_snapshot, "DELETE"),
        r("/emulator/faults", list_faults, "GET"),
        r("/emulator/faults", add_fault, "POST"),
        r("/emulator/faults", clear_faults, "DELETE"),
        r("/emulator/faults/{id}", remove_fault, "DELETE"),
        r("/emulator/clock", get_clock, "GET"),
        r("/emulator/clock", set_clock, "POST"),
        r("/emulator/accounts", accounts, "GET"),
        r("/emulator/leads", leads, "GET"),
        r("/emulator/webhooks", webhooks, "GET"),
        r("/emulator/webhooks/{id}/replay", replay_webhook, "POST"),
        r("/journal", journal, "GET"),
        r("/journal", clear_journal, "DELETE"),
    ]


__all__ = ["VerdigrisError", "routes"]
