"""People, companies and opportunities by id, and the lookups they reference (issue 8)."""

from __future__ import annotations

from verdigris.domain.crm import Company, ContactType, Opportunity, Person, Pipeline
from verdigris.domain.errors import NotFound
from verdigris.services.base import Principal, ServiceBase
from verdigris.services.conversion import CrmContext, WithFields
from verdigris.services.tasks import unrelate_tasks
from verdigris.wire import catalogue


class CrmServices(ServiceBase):
    # conversion (issue 8) ----------------------------------------------------------------
    def get_person(self, who: Principal, person_id: int) -> WithFields[Person]:
        with self.store.transaction(write=False) as tx:
            person = tx.crm.get_person(who.account_id, person_id)
            if person is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return CrmContext(tx, who.account_id).show(person, "person")

    def delete_person(self, who: Principal, person_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            before = tx.crm.get_person(who.account_id, person_id) if self.observers else None
            if not tx.crm.delete_person(who.account_id, person_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            tx.activities.delete_all(who.account_id, "person", person_id)
            unrelate_tasks(self, tx, who, "person", person_id)
            # issue 21: deletes are changes too
            self.record_change(tx, who, "person", "delete", person_id, before, None)
        return person_id

    def get_company(self, who: Principal, company_id: int) -> WithFields[Company]:
        with self.store.transaction(write=False) as tx:
            company = tx.crm.get_company(who.account_id, company_id)
            if company is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return CrmContext(tx, who.account_id).show(company, "company")

    def delete_company(self, who: Principal, company_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            before = tx.crm.get_company(who.account_id, company_id) if self.observers else None
            if not tx.crm.delete_company(who.account_id, company_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            tx.activities.delete_all(who.account_id, "company", company_id)
            unrelate_tasks(self, tx, who, "company", company_id)
            # issue 21: deletes are changes too
            self.record_change(tx, who, "company", "delete", company_id, before, None)
        return company_id

    def get_opportunity(self, who: Principal, opportunity_id: int) -> WithFields[Opportunity]:
        with self.store.transaction(write=False) as tx:
            opportunity = tx.crm.get_opportunity(who.account_id, opportunity_id)
            if opportunity is None:
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            return CrmContext(tx, who.account_id).show(opportunity, "opportunity")

    def delete_opportunity(self, who: Principal, opportunity_id: int) -> int:
        with self.store.transaction(write=True) as tx:
            before = (
                tx.crm.get_opportunity(who.account_id, opportunity_id) if self.observers else None
            )
            if not tx.crm.delete_opportunity(who.account_id, opportunity_id):
                raise NotFound(catalogue.NOT_FOUND_MESSAGE)
            tx.activities.delete_all(who.account_id, "opportunity", opportunity_id)
            unrelate_tasks(self, tx, who, "opportunity", opportunity_id)
            # issue 21: what follows a write sees the delete too
            self.record_change(tx, who, "opportunity", "delete", opportunity_id, before, None)
        return opportunity_id

    def pipelines(self, who: Principal) -> list[Pipeline]:
        with self.store.transaction(write=False) as tx:
            return tx.crm.list_pipelines(who.account_id)

    def contact_types(self, who: Principal) -> list[ContactType]:
        with self.store.transaction(write=False) as tx:
            return tx.crm.list_contact_types(who.account_id)
