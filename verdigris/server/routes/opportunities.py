"""Opportunities (issue 21): create, update, search; loss reasons; a pipeline's stages."""

from __future__ import annotations

from verdigris import wire
from verdigris.server import render
from verdigris.server.routes import Call, Reply, RouteSpec
from verdigris.server.routes.leads import computed
from verdigris.server.routes.search import query_items
from verdigris.services import Services
from verdigris.wire.opportunities import (
    LossReasonOut,
    OpportunityIn,
    OpportunitySearchIn,
)


def create(services: Services, call: Call) -> wire.OpportunityOut:
    made = services.create_opportunity(call.principal, call.body)
    return render.opportunity_out(made, computed(call))


def update(services: Services, call: Call) -> wire.OpportunityOut:
    changed = services.update_opportunity(call.principal, call.path["id"], call.body)
    return render.opportunity_out(changed, computed(call))


def search(services: Services, call: Call) -> Reply:
    page = services.search_opportunities(call.principal, call.body, query_items(call.query))
    shown = [render.opportunity_out(o, computed(call)) for o in page.opportunities]
    return Reply(shown, {"X-PW-TOTAL": str(page.total)})


def loss_reasons(services: Services, call: Call) -> list[LossReasonOut]:
    return render.many(services.loss_reasons(call.principal), LossReasonOut)


def stages_of(services: Services, call: Call) -> list[wire.PipelineStageOut]:
    stages = services.pipeline_stages_of(call.principal, call.path["id"])
    return render.many(stages, wire.PipelineStageOut)


ROUTES = [
    RouteSpec(
        "POST",
        "/opportunities",
        create,
        "Create an opportunity (name and primary_contact_id required)",
        request=OpportunityIn,
        response=wire.OpportunityOut,
    ),
    RouteSpec(
        "PUT",
        "/opportunities/{id:int}",
        update,
        "Update an opportunity: only the keys sent change",
        request=OpportunityIn,
        response=wire.OpportunityOut,
    ),
    RouteSpec(
        "POST",
        "/opportunities/search",
        search,
        "Search opportunities (filters, sort, paging); the total is in the X-PW-TOTAL header",
        request=OpportunitySearchIn,
        response=list[wire.OpportunityOut],
        writes=False,
    ),
    RouteSpec(
        "GET",
        "/loss_reasons",
        loss_reasons,
        "The account's loss reasons",
        response=list[LossReasonOut],
    ),
    RouteSpec(
        "GET",
        "/pipeline_stages/pipeline/{id:int}",
        stages_of,
        "The stages of one pipeline",
        response=list[wire.PipelineStageOut],
    ),
]
