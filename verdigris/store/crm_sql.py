"""``tx.crm`` in SQLAlchemy Core (:class:`SqlCrm`, issue 8): contact types, pipelines,
people, companies and opportunities, as rows whose lists and objects are JSON text.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import sqlalchemy as sa

from verdigris.domain.crm import Company, ContactType, Opportunity, Person, Pipeline, Stage
from verdigris.store import people_sql
from verdigris.store import schema as t
from verdigris.store.base import Crm
from verdigris.store.rows import R, SqlRepository, record_from_row, record_row

#: columns stored as JSON text, per record type (conversion, issue 8)
_PERSON_JSON = frozenset(
    {"address", "emails", "phone_numbers", "socials", "tags", "websites"}
    | {"custom_fields", "leads_converted_from"}
)
_COMPANY_JSON = frozenset(
    ("address", "phone_numbers", "socials", "tags", "websites", "custom_fields")
)
_OPPORTUNITY_JSON = frozenset(("tags", "leads_converted_from", "custom_fields"))


class SqlCrm(SqlRepository, Crm):
    """The people, companies, opportunities, contact types and pipelines of one
    transaction."""

    def add_contact_type(self, account_id: int, name: str) -> int:
        return int(
            self.conn.execute(
                t.contact_types.insert()
                .values(account_id=account_id, name=name)
                .returning(t.contact_types.c.id)
            ).scalar_one()
        )

    def list_contact_types(self, account_id: int) -> list[ContactType]:
        c = t.contact_types.c
        rows = self.conn.execute(
            sa.select(c.id, c.account_id, c.name).where(c.account_id == account_id).order_by(c.id)
        )
        return [ContactType(*r) for r in rows]

    def add_pipeline(
        self, account_id: int, name: str, stages: Sequence[tuple[str, int]]
    ) -> Pipeline:
        pipeline_id = self.conn.execute(
            t.pipelines.insert()
            .values(account_id=account_id, name=name)
            .returning(t.pipelines.c.id)
        ).scalar_one()
        made = []
        for rank, (stage, probability) in enumerate(stages):
            stage_id = self.conn.execute(
                t.pipeline_stages.insert()
                .values(
                    account_id=account_id,
                    pipeline_id=pipeline_id,
                    name=stage,
                    rank=rank,
                    win_probability=probability,
                )
                .returning(t.pipeline_stages.c.id)
            ).scalar_one()
            made.append(Stage(stage_id, pipeline_id, stage, probability))
        return Pipeline(pipeline_id, account_id, name, tuple(made))

    def list_pipelines(self, account_id: int) -> list[Pipeline]:
        p, s = t.pipelines.c, t.pipeline_stages.c
        stages: dict[int, list[Stage]] = {}
        for r in self.conn.execute(
            sa.select(s.id, s.pipeline_id, s.name, s.win_probability)
            .where(s.account_id == account_id)
            .order_by(s.pipeline_id, s.rank, s.id)
        ):
            stages.setdefault(r[1], []).append(Stage(*r))
        rows = self.conn.execute(
            sa.select(p.id, p.name).where(p.account_id == account_id).order_by(p.id)
        )
        return [Pipeline(r[0], account_id, r[1], tuple(stages.get(r[0], ()))) for r in rows]

    def _insert(self, table: sa.Table, record: R, json_cols: frozenset[str]) -> R:
        ident = self.conn.execute(
            table.insert().values(**record_row(record, json_cols)).returning(table.c.id)
        ).scalar_one()
        return msgspec.structs.replace(record, id=ident)

    def _get(
        self, table: sa.Table, kind: type[R], json_cols: frozenset[str], account_id: int, ident: int
    ) -> R | None:
        row = self._one(
            sa.select(table).where(table.c.id == ident, table.c.account_id == account_id)
        )
        return record_from_row(row, kind, json_cols) if row else None

    def _delete(self, table: sa.Table, account_id: int, ident: int) -> bool:
        result = self.conn.execute(
            table.delete().where(table.c.id == ident, table.c.account_id == account_id)
        )
        return bool(result.rowcount)

    def insert_person(self, person: Person) -> Person:
        # with its search keys and rows (issue 21: people_sql)
        return people_sql.insert_person(self.conn, person)

    def get_person(self, account_id: int, person_id: int) -> Person | None:
        return self._get(t.people, Person, _PERSON_JSON, account_id, person_id)

    def delete_person(self, account_id: int, person_id: int) -> bool:
        o = t.opportunities.c
        self.conn.execute(
            t.opportunities.update()
            .where(o.account_id == account_id, o.primary_contact_id == person_id)
            .values(primary_contact_id=None)
        )
        return self._delete(t.people, account_id, person_id)

    def insert_company(self, company: Company) -> Company:
        # with its search keys and rows (issue 21: people_sql)
        return people_sql.insert_company(self.conn, company)

    def get_company(self, account_id: int, company_id: int) -> Company | None:
        return self._get(t.companies, Company, _COMPANY_JSON, account_id, company_id)

    def find_companies(self, account_id: int, name_key: str, limit: int) -> list[Company]:
        c = t.companies.c
        rows = self.conn.execute(
            sa.select(t.companies)
            .where(c.account_id == account_id, c.name_key == name_key)
            .order_by(c.id)
            .limit(limit)
        )
        return [record_from_row(r, Company, _COMPANY_JSON) for r in rows]

    def delete_company(self, account_id: int, company_id: int) -> bool:
        for table in (t.people, t.opportunities):
            self.conn.execute(
                table.update()
                .where(table.c.account_id == account_id, table.c.company_id == company_id)
                .values(company_id=None, company_name=None)
            )
        return self._delete(t.companies, account_id, company_id)

    def insert_opportunity(self, opportunity: Opportunity) -> Opportunity:
        return self._insert(t.opportunities, opportunity, _OPPORTUNITY_JSON)

    def get_opportunity(self, account_id: int, opportunity_id: int) -> Opportunity | None:
        return self._get(
            t.opportunities, Opportunity, _OPPORTUNITY_JSON, account_id, opportunity_id
        )

    def delete_opportunity(self, account_id: int, opportunity_id: int) -> bool:
        return self._delete(t.opportunities, account_id, opportunity_id)
