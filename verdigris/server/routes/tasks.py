"""Task routes (CRUD and search), a lead's related items, and the account's tags."""

from __future__ import annotations

from verdigris import wire
from verdigris.server import render_tasks
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes.leads import computed
from verdigris.services import Services


def create(services: Services, call: Call) -> wire.TaskOut:
    return render_tasks.shown_out(services.create_task(call.principal, call.body), computed(call))


def get(services: Services, call: Call) -> wire.TaskOut:
    shown = services.get_task(call.principal, call.path["id"])
    return render_tasks.shown_out(shown, computed(call))


def update(services: Services, call: Call) -> wire.TaskOut:
    shown = services.update_task(call.principal, call.path["id"], call.body)
    return render_tasks.shown_out(shown, computed(call))


def delete(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_task(call.principal, call.path["id"]), True)


def search(services: Services, call: Call) -> Reply:
    total, page = services.search_tasks(call.principal, call.body)
    return Reply(render_tasks.page_out(page, computed(call)), {"X-PW-TOTAL": str(total)})


def lead_related(services: Services, call: Call) -> list[wire.RelatedOut]:
    return render_tasks.related_out(services.lead_related(call.principal, call.path["id"]))


def relate(services: Services, call: Call) -> wire.RelationOut:
    task_id = services.relate_to_lead(call.principal, call.path["id"], call.body)
    return wire.RelationOut(wire.RelatedOut(task_id, "task"))


def unrelate(services: Services, call: Call) -> wire.RemovedRelationOut:
    task_id = services.unrelate_from_lead(call.principal, call.path["id"], call.body)
    return wire.RemovedRelationOut(True, wire.RelatedOut(task_id, "task"))


def tags(services: Services, call: Call) -> list[wire.TagOut]:
    return render_tasks.tags_out(services.tags(call.principal))


ROUTES = [
    RouteSpec(
        "POST", "/tasks", create, "Create a task", request=wire.TaskIn, response=wire.TaskOut
    ),
    RouteSpec(
        "POST",
        "/tasks/search",
        search,
        "Search tasks (filters, sort, paging); the total is in the X-PW-TOTAL header",
        request=wire.TaskSearchIn,
        response=list[wire.TaskOut],
        writes=False,
    ),
    RouteSpec("GET", "/tasks/{id:int}", get, "Fetch a task by id", response=wire.TaskOut),
    RouteSpec(
        "PUT",
        "/tasks/{id:int}",
        update,
        "Update a task (only keys sent change)",
        request=wire.TaskIn,
        response=wire.TaskOut,
    ),
    RouteSpec("DELETE", "/tasks/{id:int}", delete, "Delete a task", response=wire.DeletedOut),
    RouteSpec(
        "GET",
        "/leads/{id:int}/related",
        lead_related,
        "The records related to a lead (tasks only, as in Copper)",
        response=list[wire.RelatedOut],
    ),
    RouteSpec(
        "POST",
        "/leads/{id:int}/related",
        relate,
        "Relate a task to a lead",
        request=wire.RelatedIn,
        response=wire.RelationOut,
    ),
    RouteSpec(
        "DELETE",
        "/leads/{id:int}/related",
        unrelate,
        "Remove the relation between a lead and a task",
        request=wire.RelatedIn,
        response=wire.RemovedRelationOut,
    ),
    RouteSpec(
        "GET",
        "/leads/{id:int}/related/tasks",
        lead_related,
        "The tasks related to a lead",
        response=list[wire.RelatedOut],
    ),
    RouteSpec(
        "GET",
        "/tags",
        tags,
        "The account's tags (leads and tasks), with counts",
        response=list[wire.TagOut],
    ),
]
