"""``tx.opportunities`` in SQLAlchemy Core (:class:`SqlOpportunities`, issue 21).

Opportunities are rows of ``opportunities`` (lists as JSON text, as conversion writes
them) plus what their search reads: ``name_key`` (the trimmed, lower-cased name),
``close_key`` (``close_date`` as Unix seconds) and one ``opportunity_tags`` row per
tag key. Every write through this repository keeps them in step with the record.
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.crm import Opportunity
from verdigris.domain.custom_field_filters import CustomFilter
from verdigris.domain.custom_fields import index_entries, value_key
from verdigris.domain.opportunities import (
    PRIORITIES,
    STATUSES,
    LossReason,
    OpportunityQuery,
    close_key,
)
from verdigris.domain.search import Range
from verdigris.domain.search_keys import NO_VALUE_ID, tag_keys, text_key
from verdigris.store import schema as t
from verdigris.store.base import Opportunities
from verdigris.store.rows import SqlRepository, record_from_row, record_row

#: columns stored as JSON text (as in store/crm_sql.py)
JSON_COLUMNS = frozenset(("tags", "leads_converted_from", "custom_fields"))
_o = t.opportunities.c


def _row(opportunity: Opportunity) -> dict[str, Any]:
    row = record_row(opportunity, JSON_COLUMNS)
    row["name_key"] = text_key(opportunity.name)
    row["close_key"] = close_key(opportunity.close_date)
    return row


def _rank(column: Any, names: tuple[str, ...], default: str) -> Any:
    """A text column's position among ``names`` (Copper's order), for sorts."""
    return sa.case(
        {name: i for i, name in enumerate(names)},
        value=sa.func.coalesce(column, default),
        else_=len(names),
    )


def _in(column: Any, ids: tuple[int, ...]) -> Any:
    """``column`` among ``ids``, with -2 standing for "no value"."""
    wanted = [i for i in ids if i != NO_VALUE_ID]
    parts = [column.in_(wanted)] if wanted else []
    if NO_VALUE_ID in ids:
        parts.append(column.is_(None))
    return sa.or_(*parts) if parts else sa.false()


def _bounds(column: Any, bounds: Range) -> list[Any]:
    out = []
    if bounds.low is not None:
        out.append(column >= bounds.low)
    if bounds.high is not None:
        out.append(column <= bounds.high)
    return out


class SqlOpportunities(SqlRepository, Opportunities):
    """The opportunities and loss reasons of one transaction."""

    # --- records ------------------------------------------------------------------------------
    def insert(self, opportunity: Opportunity) -> Opportunity:
        ident = self.conn.execute(
            t.opportunities.insert().values(**_row(opportunity)).returning(_o.id)
        ).scalar_one()
        made = msgspec.structs.replace(opportunity, id=ident)
        self._write_tags(made)
        self._write_custom_values(made)
        return made

    def update(self, opportunity: Opportunity) -> None:
        before = self.conn.execute(
            sa.select(_o.tags, _o.custom_fields).where(_o.id == opportunity.id)
        ).first()
        row = _row(opportunity)
        self.conn.execute(
            t.opportunities.update()
            .where(_o.id == opportunity.id, _o.account_id == opportunity.account_id)
            .values(**row)
        )
        if before is None or before[0] != row["tags"]:
            tg = t.opportunity_tags.c
            self.conn.execute(
                t.opportunity_tags.delete().where(tg.opportunity_id == opportunity.id)
            )
            self._write_tags(opportunity)
        if before is None or before[1] != row["custom_fields"]:
            cv = t.opportunity_custom_values.c
            self.conn.execute(
                t.opportunity_custom_values.delete().where(cv.opportunity_id == opportunity.id)
            )
            self._write_custom_values(opportunity)

    def _write_custom_values(self, opportunity: Opportunity) -> None:
        rows = [
            {
                "opportunity_id": opportunity.id,
                "account_id": opportunity.account_id,
                "definition_id": definition_id,
                "value_key": key,
                "value_num": number,
            }
            for definition_id, value in opportunity.custom_fields.items()
            for key, number in index_entries(value)
        ]
        if rows:
            self.conn.execute(t.opportunity_custom_values.insert(), rows)

    def _write_tags(self, opportunity: Opportunity) -> None:
        keys = tag_keys(opportunity.tags)
        if keys:
            self.conn.execute(
                t.opportunity_tags.insert(),
                [
                    {
                        "opportunity_id": opportunity.id,
                        "tag": k,
                        "account_id": opportunity.account_id,
                    }
                    for k in keys
                ],
            )

    def reinsert(self, opportunity: Opportunity) -> None:
        self.conn.execute(t.opportunities.insert().values(**_row(opportunity), id=opportunity.id))
        self._write_tags(opportunity)
        self._write_custom_values(opportunity)

    def get_for_update(self, account_id: int, opportunity_id: int) -> Opportunity | None:
        stmt = sa.select(t.opportunities).where(
            _o.id == opportunity_id, _o.account_id == account_id
        )
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = self._one(stmt)
        return record_from_row(row, Opportunity, JSON_COLUMNS) if row else None

    # --- search ---------------------------------------------------------------------------------
    def search(self, account_id: int, query: OpportunityQuery) -> tuple[int, list[Opportunity]]:
        if query.matches_nothing:
            return 0, []
        where = [_o.account_id == account_id, *self._filters(account_id, query)]
        total = int(
            self.conn.execute(
                sa.select(sa.func.count()).select_from(t.opportunities).where(*where)
            ).scalar_one()
        )
        if not total or not query.limit:
            return total, []
        # name_key is written with every opportunity (0011 filled in the older ones), so
        # the name sort and the tie-breaker read ix_opportunities_name_key
        order = [self._sort_key(query.sort_by), _o.name_key, _o.id]
        if query.sort_by == "name":
            order = order[1:]
        if query.descending:
            order = [c.desc() for c in order]
        # the page's ids first, so that a sort no index serves carries ids and keys through
        # its sorter, not whole rows with their JSON; then only those rows
        ids = [
            r[0]
            for r in self.conn.execute(
                sa.select(_o.id)
                .where(*where)
                .order_by(*order)
                .limit(query.limit)
                .offset(query.offset)
            )
        ]
        if not ids:
            return total, []
        rows = {
            r.id: r for r in self.conn.execute(sa.select(t.opportunities).where(_o.id.in_(ids)))
        }
        return total, [
            record_from_row(rows[i], Opportunity, JSON_COLUMNS) for i in ids if i in rows
        ]

    def _filters(self, account_id: int, q: OpportunityQuery) -> list[Any]:
        out: list[Any] = []
        if q.ids is not None:
            out.append(_o.id.in_(q.ids))
        if q.name is not None:
            out.append(_o.name_key == q.name)
        if q.statuses is not None:
            out.append(_o.status.in_(q.statuses))
        if q.priorities is not None:
            out.append(sa.func.coalesce(_o.priority, "None").in_(q.priorities))
        for column, ids in (
            (_o.assignee_id, q.assignee_ids),
            (_o.pipeline_id, q.pipeline_ids),
            (_o.pipeline_stage_id, q.pipeline_stage_ids),
            (_o.primary_contact_id, q.primary_contact_ids),
            (_o.customer_source_id, q.customer_source_ids),
            (_o.loss_reason_id, q.loss_reason_ids),
            (_o.company_id, q.company_ids),
        ):
            if ids is not None:
                out.append(_in(column, ids))
        if q.tags is not None:
            out.append(self._tag_filter(account_id, q))
        for f in q.custom_fields:
            condition = _custom_condition(account_id, f)
            if condition is not None:
                out.append(condition)
        for column, bounds in (
            (_o.monetary_value, q.monetary_value),
            (_o.interaction_count, q.interaction_count),
            (_o.close_key, q.close_date),
            (_o.date_last_contacted, q.interaction_date),
            (_o.date_stage_changed, q.stage_change_date),
            (_o.date_created, q.created_date),
            (_o.date_modified, q.modified_date),
        ):
            out.extend(_bounds(column, bounds))
        return out

    def _tag_filter(self, account_id: int, q: OpportunityQuery) -> Any:
        assert q.tags is not None
        tg = t.opportunity_tags.c

        def having(keys: tuple[str, ...]) -> Any:
            return _o.id.in_(
                sa.select(tg.opportunity_id).where(tg.account_id == account_id, tg.tag.in_(keys))
            )

        parts = []
        if q.tags.keys:
            if q.tags.match_all:
                parts.append(sa.and_(*(having((k,)) for k in q.tags.keys)))
            else:
                parts.append(having(q.tags.keys))
        if q.tags.empty:
            parts.append(
                ~sa.exists().where(tg.account_id == account_id, tg.opportunity_id == _o.id)
            )
        return sa.or_(*parts)

    @staticmethod
    def _sort_key(sort_by: str) -> Any:
        """The first ORDER BY term of a sort (each built only when asked for)."""
        return _SORTS[sort_by]()

    # --- loss reasons ---------------------------------------------------------------------------
    def add_loss_reason(self, account_id: int, name: str) -> int:
        return int(
            self.conn.execute(
                t.loss_reasons.insert()
                .values(account_id=account_id, name=name)
                .returning(t.loss_reasons.c.id)
            ).scalar_one()
        )

    def list_loss_reasons(self, account_id: int) -> list[LossReason]:
        c = t.loss_reasons.c
        rows = self.conn.execute(
            sa.select(c.id, c.account_id, c.name).where(c.account_id == account_id).order_by(c.id)
        )
        return [LossReason(*r) for r in rows]


def _custom_condition(account_id: int, f: CustomFilter) -> Any:
    """One custom field filter on ``opportunity_custom_values`` (the lead search's rules,
    store/custom_fields_sql.py); ``None`` when it filters nothing."""
    cv = t.opportunity_custom_values.c

    def holders(*conds: Any) -> Any:
        return sa.select(cv.opportunity_id).where(
            cv.account_id == account_id, cv.definition_id == f.definition_id, *conds
        )

    if f.kind == "checked":
        ticked = _o.id.in_(holders(cv.value_key == value_key(True)))
        return ticked if f.checked else sa.not_(ticked)
    if f.kind == "range":
        bounds = []
        if f.low is not None:
            bounds.append(cv.value_num >= f.low)
        if f.high is not None:
            bounds.append(cv.value_num <= f.high)
        return _o.id.in_(holders(*bounds))
    empty = _o.id.not_in(holders())
    if not f.keys:
        return empty if f.allow_empty else None
    if f.mode == "NONE":
        return _o.id.not_in(holders(cv.value_key.in_(f.keys)))
    if f.mode == "ALL":
        match = sa.and_(*(_o.id.in_(holders(cv.value_key == k)) for k in f.keys))
    else:
        match = _o.id.in_(holders(cv.value_key.in_(f.keys)))
    return sa.or_(match, empty) if f.allow_empty else match


def _stage_rank() -> Any:
    ps = t.pipeline_stages.c
    return sa.select(ps.rank).where(ps.id == _o.pipeline_stage_id).scalar_subquery()


def _company_key() -> Any:
    return sa.func.lower(sa.func.coalesce(_o.company_name, ""))


#: Copper's sort fields (domain/opportunities.py, SORT_FIELDS) as ORDER BY terms; a
#: missing value sorts first (as the empty string or 0) on both engines
_SORTS: dict[str, Any] = {
    "name": lambda: _o.name_key,
    "account": _company_key,
    "company_name": _company_key,
    "value": lambda: sa.func.coalesce(_o.monetary_value, 0),
    "assignee": lambda: sa.func.coalesce(_o.assignee_id, 0),
    "customer_source_id": lambda: sa.func.coalesce(_o.customer_source_id, 0),
    "source": lambda: sa.func.coalesce(_o.customer_source_id, 0),
    "date_modified": lambda: _o.date_modified,
    "date_created": lambda: _o.date_created,
    "contact": lambda: sa.func.coalesce(_o.primary_contact_id, 0),
    "stage": _stage_rank,
    "status": lambda: _rank(_o.status, STATUSES, "Open"),
    "close_date": lambda: sa.func.coalesce(_o.close_key, 0),
    "priority": lambda: _rank(_o.priority, PRIORITIES, "None"),
    "last_interaction": lambda: sa.func.coalesce(_o.date_last_contacted, 0),
    "interaction_count": lambda: _o.interaction_count,
    "deal_last_stage": lambda: sa.func.coalesce(_o.date_stage_changed, 0),
    "win_probability": lambda: _o.win_probability,
}
