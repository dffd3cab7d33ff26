"""Lead conversion and a lead's activities (issue 8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from verdigris.domain import activities as activity_rules
from verdigris.domain import conversion as rules
from verdigris.domain.activities import Activity
from verdigris.domain.crm import (
    COMPANY_CONTACT_TYPE,
    PERSON_CONTACT_TYPE,
    Company,
    ContactType,
    Opportunity,
    Person,
    Pipeline,
    company_key,
)
from verdigris.domain.custom_fields import CustomFieldDefinition
from verdigris.domain.errors import AlreadyConverted, FieldErrors, NotFound
from verdigris.domain.leads import Lead
from verdigris.domain.matching import LOOKUP_LIMIT, MatchCriteria
from verdigris.services.base import Principal, ServiceBase
from verdigris.store.base import StoreTx
from verdigris.wire import catalogue

T = TypeVar("T")


@dataclass(frozen=True)
class WithFields(Generic[T]):
    """A record with the ids of every custom field definition available on its kind."""

    record: T
    custom_field_ids: tuple[int, ...]
    #: those definitions by id (for ``computed_value``)
    definitions: Mapping[int, CustomFieldDefinition] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversion:
    """What a conversion made: the person, its company (if any), the opportunity (if any)."""

    person: WithFields[Person]
    company: WithFields[Company] | None
    opportunity: WithFields[Opportunity] | None


class CrmContext:
    """The account's contact types, pipelines, users and custom fields, loaded lazily."""

    def __init__(self, tx: StoreTx, account_id: int) -> None:
        self.tx = tx
        self.account_id = account_id
        self._contact_types: list[ContactType] | None = None
        self._pipelines: list[Pipeline] | None = None
        self._fields: dict[str, tuple[int, ...]] = {}
        self._definitions: dict[int, CustomFieldDefinition] | None = None

    @property
    def contact_types(self) -> list[ContactType]:
        if self._contact_types is None:
            self._contact_types = self.tx.crm.list_contact_types(self.account_id)
        return self._contact_types

    def has_user(self, user_id: int) -> bool:
        return self.tx.accounts.get_user(self.account_id, user_id) is not None

    def has_contact_type(self, contact_type_id: int) -> bool:
        return any(c.id == contact_type_id for c in self.contact_types)

    def contact_type_named(self, name: str) -> int | None:
        return next((c.id for c in self.contact_types if c.name == name), None)

    def pipeline(self, pipeline_id: int | None) -> Pipeline | None:
        if self._pipelines is None:
            self._pipelines = self.tx.crm.list_pipelines(self.account_id)
        if pipeline_id is None:
            return self._pipelines[0] if self._pipelines else None
        return next((p for p in self._pipelines if p.id == pipeline_id), None)

    def field_ids(self, entity: str) -> tuple[int, ...]:
        if entity not in self._fields:
            self._fields[entity] = tuple(self.tx.definitions.ids_on(self.account_id, entity))
        return self._fields[entity]

    def show(self, record: T, entity: str) -> WithFields[T]:
        ids = self.field_ids(entity)
        if ids and self._definitions is None:
            self._definitions = {d.id: d for d in self.tx.definitions.all(self.account_id)}
        return WithFields(record, ids, self._definitions or {})


class ConversionServices(ServiceBase):
    # conversion (issue 8) ----------------------------------------------------------------
    def convert_lead(self, who: Principal, lead_id: int, body: Any) -> Conversion:
        """Copper's lead conversion, all or nothing in one transaction."""
        request = rules.parse_request(body)
        with self.store.transaction(write=True) as tx:
            lead = tx.leads.get_for_update(who.account_id, lead_id)
            if lead is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            if lead.converted_at is not None:
                raise AlreadyConverted(catalogue.ALREADY_CONVERTED_MESSAGE.format(lead_id=lead_id))
            ctx = CrmContext(tx, who.account_id)
            target = rules.check(request, ctx)
            now = self.clock()
            company = self._company_for(tx, ctx, who, lead, request, now)
            person = tx.crm.insert_person(
                rules.new_person(
                    lead,
                    request.person,
                    company=company,
                    contact_type_id=request.person.contact_type_id
                    or ctx.contact_type_named(PERSON_CONTACT_TYPE),
                    custom_field_ids=ctx.field_ids("person"),
                    now=now,
                )
            )
            opportunity = None
            if request.opportunity is not None and target is not None:
                opportunity = tx.opportunities.insert(
                    rules.new_opportunity(
                        lead,
                        request.opportunity,
                        target,
                        person=person,
                        company=company,
                        custom_field_ids=ctx.field_ids("opportunity"),
                        now=now,
                    )
                )
            converted = rules.mark_converted(lead, opportunity, now)
            tx.leads.update(converted)
            tx.activities.add(
                activity_rules.lead_converted(
                    who.account_id,
                    lead.id,
                    who.user_id,
                    now,
                    person_id=person.id,
                    company_id=company.id if company else None,
                    opportunity_id=opportunity.id if opportunity else None,
                )
            )
            self.record_change(tx, who, "person", "new", person.id, None, person, now)
            if opportunity is not None:
                self.record_change(
                    tx, who, "opportunity", "new", opportunity.id, None, opportunity, now
                )
            self.record_change(
                tx, who, "lead", "update", lead.id, lead, converted, now, cause="convert"
            )
            return Conversion(
                ctx.show(person, "person"),
                ctx.show(company, "company") if company else None,
                ctx.show(opportunity, "opportunity") if opportunity else None,
            )

    def _company_for(
        self,
        tx: StoreTx,
        ctx: CrmContext,
        who: Principal,
        lead: Lead,
        request: rules.ConvertRequest,
        now: int,
    ) -> Company | None:
        spec = request.company
        if spec.mode == "none":
            return None
        if spec.mode == "id":
            company = tx.crm.get_company(who.account_id, int(spec.id or 0))
            if company is None:
                errors = FieldErrors()
                errors.add(
                    "company_id", "not_found", f"company {spec.id} does not exist in this account"
                )
                errors.raise_if_any()
            return company
        if spec.mode == "name":
            name, exact = str(spec.name), spec.exact
        else:  # from the lead: its company name, taken exactly
            name, exact = (lead.company_name or "").strip(), True
            if not name:
                return None
        key = company_key(name)
        # Serialize conversions naming the same company, so that two never create it twice.
        tx.leads.lock_match(who.account_id, MatchCriteria("custom", key, definition_id=-1))
        found = rules.pick_company(
            tx.crm.find_companies(who.account_id, key, LOOKUP_LIMIT), name, exact=exact
        )
        if found is not None:
            return found
        owner = request.person.assignee_id or lead.assignee_id or who.user_id
        company = tx.crm.insert_company(
            rules.new_company(
                lead,
                name,
                contact_type_id=ctx.contact_type_named(COMPANY_CONTACT_TYPE),
                assignee_id=owner,
                custom_field_ids=ctx.field_ids("company"),
                now=now,
            )
        )
        self.record_change(tx, who, "company", "new", company.id, None, company, now)
        return company

    def lead_activities(self, who: Principal, lead_id: int, body: Any) -> list[Activity]:
        """A lead's activities, newest first, optionally filtered by type and paged."""
        query = activity_rules.parse_query(body)
        with self.store.transaction(write=False) as tx:
            if tx.leads.get(who.account_id, lead_id) is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return tx.activities.page(who.account_id, "lead", lead_id, query)
