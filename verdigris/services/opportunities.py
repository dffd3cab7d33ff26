"""Opportunities (issue 21): create, update, search; loss reasons and a pipeline's stages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from verdigris.domain import opportunities as rules
from verdigris.domain.crm import Company, Opportunity, Person, Pipeline, Stage
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.errors import MalformedRequest, NotFound
from verdigris.domain.opportunities import LossReason
from verdigris.services.base import Principal, ServiceBase, TxContext
from verdigris.services.conversion import CrmContext, WithFields
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue


class _Context:
    """:class:`~verdigris.domain.opportunities.OpportunityContext` on one transaction."""

    def __init__(self, tx: StoreTx, account: TxContext) -> None:
        self.tx = tx
        self.account = account
        self._pipelines: list[Pipeline] | None = None
        self._reasons: set[int] | None = None
        self._people: dict[int, Person | None] = {}
        self._companies: dict[int, Company | None] = {}

    def has_user(self, user_id: int) -> bool:
        return self.account.has_user(user_id)

    def has_source(self, source_id: int) -> bool:
        return self.account.has_source(source_id)

    def has_loss_reason(self, reason_id: int) -> bool:
        if self._reasons is None:
            account_id = self.account.account_id
            self._reasons = {r.id for r in self.tx.opportunities.list_loss_reasons(account_id)}
        return reason_id in self._reasons

    def person(self, person_id: int) -> Person | None:
        if person_id not in self._people:
            self._people[person_id] = self.tx.crm.get_person(self.account.account_id, person_id)
        return self._people[person_id]

    def company(self, company_id: int) -> Company | None:
        if company_id not in self._companies:
            found = self.tx.crm.get_company(self.account.account_id, company_id)
            self._companies[company_id] = found
        return self._companies[company_id]

    def pipelines(self) -> Sequence[Pipeline]:
        if self._pipelines is None:
            self._pipelines = self.tx.crm.list_pipelines(self.account.account_id)
        return self._pipelines

    def custom_field(self, definition_id: int) -> CustomFieldDefinition | None:
        return self.account.custom_field(definition_id)

    def stage(self, stage_id: int) -> Stage | None:
        return next((s for p in self.pipelines() for s in p.stages if s.id == stage_id), None)


@dataclass(frozen=True)
class OpportunityPage:
    """One page of a search, with the number of matches (``X-PW-TOTAL``)."""

    total: int
    opportunities: list[WithFields[Opportunity]]


def _body(data: Any) -> Mapping[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise MalformedRequest(catalogue.BODY_NOT_AN_OBJECT_MESSAGE)
    return data


class OpportunityServices(ServiceBase):
    # opportunities (issue 21) ----------------------------------------------------------------
    def create_opportunity(self, who: Principal, body: Any) -> WithFields[Opportunity]:
        """``POST /opportunities``: checked whole before anything is written."""
        data = _body(body)
        with self.store.transaction(write=True) as tx:
            ctx = _Context(tx, self.context(tx, who.account_id))
            changes = rules.parse_changes(data, ctx, None)
            contact = ctx.person(changes.values["primary_contact_id"])
            company: Company | None
            if "company_id" in changes.values:
                ident = changes.values["company_id"]
                company = ctx.company(ident) if ident is not None else None
            else:  # Copper's example: the opportunity takes its contact's company
                company = (
                    ctx.company(contact.company_id) if contact and contact.company_id else None
                )
            now = self.clock()
            made = tx.opportunities.insert(
                rules.new_opportunity(
                    who.account_id, changes, contact=contact, company=company, now=now
                )
            )
            self.record_change(tx, who, "opportunity", "new", made.id, None, made, now)
            return CrmContext(tx, who.account_id).show(made, "opportunity")

    def update_opportunity(
        self, who: Principal, opportunity_id: int, body: Any
    ) -> WithFields[Opportunity]:
        """``PUT /opportunities/{id}``: only the keys sent change; a stage move is logged."""
        data = _body(body)
        with self.store.transaction(write=True) as tx:
            current = tx.opportunities.get_for_update(who.account_id, opportunity_id)
            if current is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            ctx = _Context(tx, self.context(tx, who.account_id))
            changes = rules.parse_changes(data, ctx, current)
            ident = changes.values.get("company_id")
            company = ctx.company(ident) if ident is not None else None
            now = self.clock()
            updated = rules.apply_changes(current, changes, company=company, now=now)
            if updated is not current:
                tx.opportunities.update(updated)
                if updated.pipeline_stage_id != current.pipeline_stage_id:
                    tx.activities.add(
                        rules.stage_changed(
                            who.account_id,
                            current.id,
                            who.user_id,
                            now,
                            ctx.stage(current.pipeline_stage_id),
                            changes.stage,
                        )
                    )
                self.record_change(
                    tx, who, "opportunity", "update", current.id, current, updated, now
                )
            return CrmContext(tx, who.account_id).show(updated, "opportunity")

    def search_opportunities(
        self, who: Principal, body: Any, query: Iterable[tuple[str, str]] = ()
    ) -> OpportunityPage:
        """``POST /opportunities/search``: one page and the number of matches."""
        params = rules.search_params(body, list(query))
        parsed = rules.parse_search(params)
        with self.store.transaction(write=False) as tx:
            if params.get("custom_fields") not in (None, "", []):
                definitions = self.context(tx, who.account_id).all_fields
                filters = rules.custom_filters(params["custom_fields"], definitions)
                parsed = replace(parsed, custom_fields=filters)
            total, found = tx.opportunities.search(who.account_id, parsed)
            crm = CrmContext(tx, who.account_id)
            return OpportunityPage(total, [crm.show(o, "opportunity") for o in found])

    def loss_reasons(self, who: Principal) -> list[LossReason]:
        with self.store.transaction(write=False) as tx:
            return tx.opportunities.list_loss_reasons(who.account_id)

    def pipeline_stages_of(self, who: Principal, pipeline_id: int) -> list[Stage]:
        """``GET /pipeline_stages/pipeline/{id}``: 404 for a pipeline of no account of yours."""
        with self.store.transaction(write=False) as tx:
            pipelines = tx.crm.list_pipelines(who.account_id)
        pipeline = next((p for p in pipelines if p.id == pipeline_id), None)
        if pipeline is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return list(pipeline.stages)
