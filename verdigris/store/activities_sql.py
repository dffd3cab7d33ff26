"""``tx.activities`` in SQLAlchemy Core (:class:`SqlActivities`): the activities logged
on records (a lead's creation, status changes, conversion; notes, calls and meetings
through the API), old and new values as JSON text, and the account's activity types.

Deleted activities stay as rows with ``deleted_at`` set (Copper shows them as stubs);
every list, search and interaction count reads live ones only. The timeline index
``(account_id, parent_type, parent_id, activity_date, id)`` serves a record's page and
its interactions; ``(account_id, activity_date, id)`` the account-wide search.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from verdigris.domain.activities import Activity, ActivityQuery, ActivityType
from verdigris.domain.activity_input import ActivitySearch
from verdigris.store import schema as t
from verdigris.store.base import Activities
from verdigris.store.rows import SqlRepository, record_from_row, record_row

ACTIVITY_JSON = frozenset(("old_value", "new_value"))
#: the system activities written with every lead (never deleted as they are written: no
#: ``deleted_at``, which also keeps this statement valid on a schema from before 0012)
_INSERT_ACTIVITY = t.activities.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.activities.c if c.name not in ("id", "deleted_at")}
)


class SqlActivities(SqlRepository, Activities):
    """The activities of one transaction."""

    def add(self, activity: Activity) -> None:
        # every created lead logs one: on the write path's cursor (store/fast.py)
        row = record_row(activity, ACTIVITY_JSON)
        row.pop("deleted_at")
        self.fast.defer("insert_activity", _INSERT_ACTIVITY, row)

    def page(
        self, account_id: int, parent_type: str, parent_id: int, query: ActivityQuery
    ) -> list[Activity]:
        a = t.activities.c
        stmt = sa.select(t.activities).where(
            a.account_id == account_id,
            a.parent_type == parent_type,
            a.parent_id == parent_id,
            a.deleted_at.is_(None),
        )
        if query.types:
            stmt = stmt.where(
                sa.or_(
                    *(
                        sa.and_(a.type_category == category, a.type_id == type_id)
                        for category, type_id in query.types
                    )
                )
            )
        stmt = (
            stmt.order_by(a.activity_date.desc(), a.id.desc())
            .limit(query.page_size)
            .offset(query.offset)
        )
        return [record_from_row(r, Activity, ACTIVITY_JSON) for r in self.conn.execute(stmt)]

    def delete_all(self, account_id: int, parent_type: str, parent_id: int) -> None:
        a = t.activities.c
        self.conn.execute(
            t.activities.delete().where(
                a.account_id == account_id, a.parent_type == parent_type, a.parent_id == parent_id
            )
        )

    # issue 16 ----------------------------------------------------------------------------
    def insert(self, activity: Activity) -> Activity:
        ident = self.conn.execute(
            t.activities.insert()
            .values(record_row(activity, ACTIVITY_JSON))
            .returning(t.activities.c.id)
        ).scalar_one()
        activity.id = int(ident)
        return activity

    def get(self, account_id: int, activity_id: int) -> Activity | None:
        a = t.activities.c
        row = self._one(
            sa.select(t.activities).where(a.id == activity_id, a.account_id == account_id)
        )
        return None if row is None else record_from_row(row, Activity, ACTIVITY_JSON)

    def update(self, activity: Activity) -> None:
        a = t.activities.c
        self.conn.execute(
            t.activities.update()
            .where(a.id == activity.id, a.account_id == activity.account_id)
            .values(record_row(activity, ACTIVITY_JSON))
        )

    def search(self, account_id: int, query: ActivitySearch) -> tuple[int, list[Activity]]:
        a = t.activities.c
        where: list[Any] = [a.account_id == account_id, a.deleted_at.is_(None)]
        if query.parent is not None:
            where += [a.parent_type == query.parent[0], a.parent_id == query.parent[1]]
        if query.types:
            where.append(
                sa.or_(
                    *(
                        sa.and_(a.type_category == category, a.type_id == type_id)
                        for category, type_id in query.types
                    )
                )
            )
        if query.minimum_date is not None:
            where.append(a.activity_date >= query.minimum_date)
        if query.maximum_date is not None:
            where.append(a.activity_date <= query.maximum_date)
        total = self.conn.execute(
            sa.select(sa.func.count()).select_from(t.activities).where(*where)
        ).scalar_one()
        stmt = (
            sa.select(t.activities)
            .where(*where)
            .order_by(a.activity_date.desc(), a.id.desc())
            .limit(query.page_size)
            .offset(query.offset)
        )
        found = [record_from_row(r, Activity, ACTIVITY_JSON) for r in self.conn.execute(stmt)]
        return int(total), found

    def interactions(
        self, account_id: int, lead_id: int, type_ids: Sequence[int]
    ) -> tuple[int, int | None]:
        if not type_ids:
            return 0, None
        a = t.activities.c
        count, last = self.conn.execute(
            sa.select(sa.func.count(), sa.func.max(a.activity_date)).where(
                a.account_id == account_id,
                a.parent_type == "lead",
                a.parent_id == lead_id,
                a.type_category == "user",
                a.type_id.in_(list(type_ids)),
                a.deleted_at.is_(None),
            )
        ).one()
        return int(count), None if last is None else int(last)

    def add_type(self, account_id: int, name: str, count_as_interaction: bool) -> int:
        ident = self.conn.execute(
            t.activity_types.insert()
            .values(account_id=account_id, name=name, count_as_interaction=count_as_interaction)
            .returning(t.activity_types.c.id)
        ).scalar_one()
        return int(ident)

    def list_types(self, account_id: int) -> list[ActivityType]:
        c = t.activity_types.c
        rows = self.conn.execute(
            sa.select(c.id, c.name, c.is_disabled, c.count_as_interaction)
            .where(c.account_id == account_id)
            .order_by(c.id)
        )
        return [
            ActivityType(
                id=int(r.id),
                category="user",
                name=r.name,
                is_disabled=bool(r.is_disabled),
                count_as_interaction=bool(r.count_as_interaction),
            )
            for r in rows
        ]
