"""``tx.record_history`` in SQLAlchemy Core (issue 21): the versions of people, companies
and opportunities, as :mod:`verdigris.store.history_sql` keeps a lead's."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.record_history import RecordVersion
from verdigris.store import schema as t
from verdigris.store.base import RecordHistory
from verdigris.store.history_sql import prune_versions
from verdigris.store.rows import SqlRepository

_V = t.record_versions.c
_COLUMNS = tuple(RecordVersion.__struct_fields__)
_INSERT = t.record_versions.insert().values({c: sa.bindparam(c) for c in _COLUMNS})
_LATEST = sa.select(sa.func.max(_V.version)).where(
    _V.account_id == sa.bindparam("account_id"),
    _V.entity == sa.bindparam("entity"),
    _V.record_id == sa.bindparam("record_id"),
)
#: the tables whose rows the versions are of, by entity (deleted: no row of that id)
_TABLES = {"person": t.people, "company": t.companies, "opportunity": t.opportunities}

# the next version of a record in one statement, as history_sql.py adds a lead's: its
# number is the record's newest plus one, read in the insert itself; the values are cast
# so that PostgreSQL types them as their columns
_NEXT_COLUMNS = tuple(c for c in _COLUMNS if c != "version")
_INSERT_NEXT = (
    t.record_versions.insert()
    .from_select(
        [*_NEXT_COLUMNS, "version"],
        sa.select(
            *(sa.cast(sa.bindparam(c), t.record_versions.c[c].type) for c in _NEXT_COLUMNS),
            sa.func.coalesce(sa.func.max(_V.version), 0) + 1,
        ).where(
            _V.account_id == sa.bindparam("of_account"),
            _V.entity == sa.bindparam("of_entity"),
            _V.record_id == sa.bindparam("of_record"),
        ),
    )
    .returning(_V.version)
)


def _version(row: Any) -> RecordVersion:
    return RecordVersion(**{c: row._mapping[c] for c in _COLUMNS})


def _of(account_id: int, entity: str, record_id: int) -> Any:
    return sa.and_(_V.account_id == account_id, _V.entity == entity, _V.record_id == record_id)


class SqlRecordHistory(SqlRepository, RecordHistory):
    """The versions of people, companies and opportunities of one transaction."""

    def latest(self, account_id: int, entity: str, record_id: int) -> int:
        params = {"account_id": account_id, "entity": entity, "record_id": record_id}
        value = self.fast.run("latest_record_version", _LATEST, params).fetchone()[0]
        return int(value) if value is not None else 0

    def add(self, version: RecordVersion) -> None:
        self.fast.run("insert_record_version", _INSERT, msgspec.structs.asdict(version))

    def add_next(self, version: RecordVersion) -> int:
        values = msgspec.structs.asdict(version)
        del values["version"]
        values["of_account"] = version.account_id
        values["of_entity"] = version.entity
        values["of_record"] = version.record_id
        cur = self.fast.run("insert_next_record_version", _INSERT_NEXT, values)
        return int(cur.fetchone()[0])

    def renumber(self, account_id: int, entity: str, record_id: int, old: int, new: int) -> None:
        self.conn.execute(
            t.record_versions.update()
            .where(_of(account_id, entity, record_id), _V.version == old)
            .values(version=new)
        )

    def versions(
        self, account_id: int, entity: str, record_id: int, *, before: int | None, limit: int
    ) -> list[RecordVersion]:
        stmt = sa.select(t.record_versions).where(_of(account_id, entity, record_id))
        if before is not None:
            stmt = stmt.where(_V.version < before)
        stmt = stmt.order_by(_V.version.desc()).limit(limit)
        return [_version(r) for r in self.conn.execute(stmt)]

    def get(
        self, account_id: int, entity: str, record_id: int, version: int
    ) -> RecordVersion | None:
        row = self._one(
            sa.select(t.record_versions).where(
                _of(account_id, entity, record_id), _V.version == version
            )
        )
        return None if row is None else _version(row)

    def deleted(
        self, account_id: int, entity: str, *, after: int | None, limit: int
    ) -> list[RecordVersion]:
        """The delete versions of records of the kind that do not exist now, by id."""
        table = _TABLES[entity]
        latest = (
            sa.select(_V.record_id, sa.func.max(_V.version).label("version"))
            # the literal lets both engines use the partial index ix_record_versions_deleted
            .where(
                _V.account_id == account_id,
                _V.entity == entity,
                _V.event == sa.literal_column("'delete'"),
            )
            .where(~sa.exists().where(table.c.id == _V.record_id, table.c.account_id == account_id))
            .group_by(_V.record_id)
        )
        if after is not None:
            latest = latest.where(_V.record_id > after)
        sub = latest.order_by(_V.record_id).limit(limit).subquery()
        stmt = (
            sa.select(t.record_versions)
            .join(sub, sa.and_(_V.record_id == sub.c.record_id, _V.version == sub.c.version))
            .where(_V.account_id == account_id, _V.entity == entity)
            .order_by(_V.record_id)
        )
        return [_version(r) for r in self.conn.execute(stmt)]

    def prune(self, *, older_than: int | None, keep: int | None) -> int:
        """Delete versions recorded before ``older_than`` and, per record, all but the
        newest ``keep``; how many went (as lead versions are pruned)."""
        return prune_versions(
            self.conn,
            t.record_versions,
            ("account_id", "entity", "record_id"),
            older_than=older_than,
            keep=keep,
        )
