"""Lead routes: CRUD, upsert and the bulk endpoints."""

from __future__ import annotations

from verdigris import wire
from verdigris.server import render
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.services import ItemFailure, Services, Shown


def computed(call: Call) -> bool:
    """Copper's ``?custom_field_computed_values=true`` (false, the default, or absent: off)."""
    return call.query.get("custom_field_computed_values", "").strip().lower() in ("true", "1")


def create(services: Services, call: Call) -> wire.LeadOut:
    return render.lead_out(services.create_lead(call.principal, call.body), computed(call))


def get(services: Services, call: Call) -> wire.LeadOut:
    return render.lead_out(services.get_lead(call.principal, call.path["id"]), computed(call))


async def get_on_loop(services: Services, call: Call) -> wire.LeadOut | None:
    shown = await services.get_lead_on_loop(call.principal, call.path["id"])
    return None if shown is None else render.lead_out(shown, computed(call))


def update(services: Services, call: Call) -> wire.LeadOut:
    shown = services.update_lead(call.principal, call.path["id"], call.body)
    return render.lead_out(shown, computed(call))


def delete(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_lead(call.principal, call.path["id"]), True)


def upsert(services: Services, call: Call) -> Reply:
    """Copper's answer, and what the upsert did in ``X-Verdigris-Upsert`` (created or
    updated) and ``X-Verdigris-Lead-Id`` (Copper's body stays as it is)."""
    shown = services.upsert_lead(call.principal, call.body)
    headers = {
        "X-Verdigris-Upsert": shown.outcome or "updated",
        "X-Verdigris-Lead-Id": str(shown.lead.id),
    }
    return Reply(render.lead_out(shown, computed(call)), headers)


def _bulk_reply(results: list[Shown | ItemFailure], done: str, call: Call) -> Reply:
    """Copper's list, and each item's outcome in ``X-Verdigris-Results``."""
    outcomes = ",".join(done if isinstance(r, Shown) else "failed" for r in results)
    return Reply(
        [render.bulk_out(r, computed(call)) for r in results], {"X-Verdigris-Results": outcomes}
    )


def bulk_update(services: Services, call: Call) -> Reply:
    return _bulk_reply(services.bulk_update(call.principal, call.body), "updated", call)


def bulk_create(services: Services, call: Call) -> Reply:
    return _bulk_reply(services.bulk_create(call.principal, call.body), "created", call)


ROUTES = [
    RouteSpec(
        "POST",
        "/leads",
        create,
        "Create a lead",
        request=wire.LeadIn,
        response=wire.LeadOut,
    ),
    RouteSpec(
        "PUT",
        "/leads/upsert",
        upsert,
        "Upsert a lead (match on name, email or a custom field)",
        request=wire.UpsertIn,
        response=wire.LeadOut,
    ),
    RouteSpec(
        "POST",
        "/leads/bulk_update",
        bulk_update,
        "Update up to 10 leads",
        bulk=True,
        request=wire.BulkUpdateIn,
        response=list[wire.LeadOut],
    ),
    RouteSpec(
        "POST",
        "/leads/bulk_create",
        bulk_create,
        "Create up to 10 leads",
        bulk=True,
        request=wire.BulkCreateIn,
        response=list[wire.LeadOut],
    ),
    RouteSpec(
        "GET",
        "/leads/{id:int}",
        get,
        "Fetch a lead by id",
        response=wire.LeadOut,
        on_loop=get_on_loop,
    ),
    RouteSpec(
        "PUT",
        "/leads/{id:int}",
        update,
        "Update a lead (only keys sent change)",
        request=wire.LeadIn,
        response=wire.LeadOut,
    ),
    RouteSpec("DELETE", "/leads/{id:int}", delete, "Delete a lead", response=wire.DeletedOut),
]
