"""Lead conversion, a lead's activities, and what conversion creates (issue 8)."""

from __future__ import annotations

from verdigris import wire
from verdigris.server import render
from verdigris.server.routes import Call, RouteSpec
from verdigris.server.routes.leads import computed
from verdigris.services import Services


def convert(services: Services, call: Call) -> wire.ConvertOut:
    conversion = services.convert_lead(call.principal, call.path["id"], call.body)
    return render.convert_out(conversion, computed(call))


def lead_activities(services: Services, call: Call) -> list[wire.ActivityOut]:
    found = services.lead_activities(call.principal, call.path["id"], call.body)
    return [render.activity_out(a) for a in found]


def get_person(services: Services, call: Call) -> wire.PersonOut:
    return render.person_out(services.get_person(call.principal, call.path["id"]))


def delete_person(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_person(call.principal, call.path["id"]), True)


def get_company(services: Services, call: Call) -> wire.CompanyOut:
    return render.company_out(services.get_company(call.principal, call.path["id"]))


def delete_company(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_company(call.principal, call.path["id"]), True)


def get_opportunity(services: Services, call: Call) -> wire.OpportunityOut:
    return render.opportunity_out(services.get_opportunity(call.principal, call.path["id"]))


def delete_opportunity(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_opportunity(call.principal, call.path["id"]), True)


def pipelines(services: Services, call: Call) -> list[wire.PipelineOut]:
    return render.many(services.pipelines(call.principal), wire.PipelineOut)


def pipeline_stages(services: Services, call: Call) -> list[wire.PipelineStageOut]:
    stages = (s for p in services.pipelines(call.principal) for s in p.stages)
    return render.many(stages, wire.PipelineStageOut)


def contact_types(services: Services, call: Call) -> list[wire.ContactTypeOut]:
    return render.many(services.contact_types(call.principal), wire.ContactTypeOut)


ROUTES = [
    RouteSpec(
        "POST",
        "/leads/{id:int}/convert",
        convert,
        "Convert a lead into a person (and a company, and an opportunity)",
        request=wire.ConvertIn,
        response=wire.ConvertOut,
    ),
    RouteSpec(
        "POST",
        "/leads/{id:int}/activities",
        lead_activities,
        "A lead's activities, newest first",
        request=wire.ActivitySearchIn,
        response=list[wire.ActivityOut],
        writes=False,
    ),
    RouteSpec(
        "GET", "/people/{id:int}", get_person, "Fetch a person by id", response=wire.PersonOut
    ),
    RouteSpec(
        "DELETE", "/people/{id:int}", delete_person, "Delete a person", response=wire.DeletedOut
    ),
    RouteSpec(
        "GET",
        "/companies/{id:int}",
        get_company,
        "Fetch a company by id",
        response=wire.CompanyOut,
    ),
    RouteSpec(
        "DELETE",
        "/companies/{id:int}",
        delete_company,
        "Delete a company (its people and opportunities are detached)",
        response=wire.DeletedOut,
    ),
    RouteSpec(
        "GET",
        "/opportunities/{id:int}",
        get_opportunity,
        "Fetch an opportunity by id",
        response=wire.OpportunityOut,
    ),
    RouteSpec(
        "DELETE",
        "/opportunities/{id:int}",
        delete_opportunity,
        "Delete an opportunity",
        response=wire.DeletedOut,
    ),
    RouteSpec(
        "GET",
        "/pipelines",
        pipelines,
        "The account's pipelines and their stages",
        response=list[wire.PipelineOut],
    ),
    RouteSpec(
        "GET",
        "/pipeline_stages",
        pipeline_stages,
        "Every stage of every pipeline",
        response=list[wire.PipelineStageOut],
    ),
    RouteSpec(
        "GET",
        "/contact_types",
        contact_types,
        "The account's contact types",
        response=list[wire.ContactTypeOut],
    ),
]
