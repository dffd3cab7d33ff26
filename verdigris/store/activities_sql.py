"""``tx.activities`` in SQLAlchemy Core (:class:`SqlActivities`): the activities logged
on records (a lead's creation, status changes, conversion), old and new values as JSON
text.
"""

from __future__ import annotations

import sqlalchemy as sa

from verdigris.domain.activities import Activity, ActivityQuery
from verdigris.store import schema as t
from verdigris.store.base import Activities
from verdigris.store.rows import SqlRepository, record_from_row, record_row

ACTIVITY_JSON = frozenset(("old_value", "new_value"))
_INSERT_ACTIVITY = t.activities.insert().values(
    {c.name: sa.bindparam(c.name) for c in t.activities.c if c.name != "id"}
)


class SqlActivities(SqlRepository, Activities):
    """The activities of one transaction."""

    def add(self, activity: Activity) -> None:
        # every created lead logs one: on the write path's cursor (store/fast.py)
        self.fast.run("insert_activity", _INSERT_ACTIVITY, record_row(activity, ACTIVITY_JSON))

    def page(
        self, account_id: int, parent_type: str, parent_id: int, query: ActivityQuery
    ) -> list[Activity]:
        a = t.activities.c
        stmt = sa.select(t.activities).where(
            a.account_id == account_id, a.parent_type == parent_type, a.parent_id == parent_id
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
