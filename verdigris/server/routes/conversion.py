"""Lead conversion, a lead's activities, and what conversion creates (issue 8)."""

from __future__ import annotations

from verdigris.server import wire, wire_crm, wire_in
from verdigris.server.routes import Call, RouteSpec
from verdigris.server.routes.leads import computed
from verdigris.services import Services


def convert(services: Services, call: Call) -> wire_crm.ConvertOut:
    conversion = services.convert_lead(call.principal, call.path["id"], call.body)
    return wire_crm.convert_out(conversion, computed(call))


def lead_activities(services: Services, call: Call) -> list[wire_crm.ActivityOut]:
    found = services.lead_activities(call.principal, call.path["id"], call.body)
    return [wire_crm.activity_out(a) for a in found]


def get_person(services: Services, call: Call) -> wire_crm.PersonOut:
    return wire_crm.person_out(services.get_person(call.principal, call.path["id"]))


def delete_person(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_person(call.principal, call.path["id"]), True)


def get_company(services: Services, call: Call) -> wire_crm.CompanyOut:
    return wire_crm.company_out(services.get_company(call.principal, call.path["id"]))


def delete_company(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_company(call.principal, call.path["id"]), True)


def get_opportunity(services: Services, call: Call) -> wire_crm.OpportunityOut:
    return wire_crm.opportunity_out(services.get_opportunity(call.principal, call.path["id"]))


def delete_opportunity(services: Services, call: Call) -> wire.DeletedOut:
    return wire.DeletedOut(services.delete_opportunity(call.principal, call.path["id"]), True)


def pipelines(services: Services, call: Call) -> list[wire_crm.PipelineOut]:
    return [wire_crm.pipeline_out(p) for p in services.pipelines(call.principal)]


def pipeline_stages(services: Services, call: Call) -> list[wire_crm.PipelineStageOut]:
    return [
        wire_crm.pipeline_stage_out(s) for p in services.pipelines(call.principal) for s in p.stages
    ]


def contact_types(services: Services, call: Call) -> list[wire_crm.ContactTypeOut]:
    return [wire_crm.contact_type_out(c) for c in services.contact_types(call.principal)]


ROUTES = [
    RouteSpec(
        "POST",
        "/leads/{id:int}/convert",
        convert,
        "Convert a lead into a person (and a company, and an opportunity)",
        request=wire_in.ConvertIn,
        response=wire_crm.ConvertOut,
    ),
    RouteSpec(
        "POST",
        "/leads/{id:int}/activities",
        lead_activities,
        "A lead's activities, newest first",
        request=wire_in.ActivitySearchIn,
        response=list[wire_crm.ActivityOut],
        writes=False,
    ),
    RouteSpec(
        "GET", "/people/{id:int}", get_person, "Fetch a person by id", response=wire_crm.PersonOut
    ),
    RouteSpec(
        "DELETE", "/people/{id:int}", delete_person, "Delete a person", response=wire.DeletedOut
    ),
    RouteSpec(
        "GET",
        "/companies/{id:int}",
        get_company,
        "Fetch a company by id",
        response=wire_crm.CompanyOut,
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
        response=wire_crm.OpportunityOut,
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
        response=list[wire_crm.PipelineOut],
    ),
    RouteSpec(
        "GET",
        "/pipeline_stages",
        pipeline_stages,
        "Every stage of every pipeline",
        response=list[wire_crm.PipelineStageOut],
    ),
    RouteSpec(
        "GET",
        "/contact_types",
        contact_types,
        "The account's contact types",
        response=list[wire_crm.ContactTypeOut],
    ),
]
