"""``tx.history`` and ``tx.idempotency`` in SQLAlchemy Core (issue 19): a lead's versions
(:class:`SqlHistory`) and the stored answers of writes sent with an idempotency key
(:class:`SqlIdempotency`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec
import sqlalchemy as sa

from verdigris.domain.history import Version
from verdigris.store import schema as t
from verdigris.store.base import History, Idempotency, StoredAnswer
from verdigris.store.rows import SqlRepository

_V = t.lead_versions.c
_COLUMNS = tuple(c for c in Version.__struct_fields__)
_INSERT_VERSION = t.lead_versions.insert().values({c: sa.bindparam(c) for c in _COLUMNS})
_LATEST = sa.select(sa.func.max(_V.version)).where(
    _V.account_id == sa.bindparam("account_id"), _V.lead_id == sa.bindparam("lead_id")
)


# the next version of a lead in one statement (one round trip): its number is the lead's
# newest plus one, read in the insert itself; the values are cast so that PostgreSQL
# types them as their columns (a bare parameter in a SELECT list would be text)
_NEXT_COLUMNS = tuple(c for c in _COLUMNS if c != "version")
_INSERT_NEXT = (
    t.lead_versions.insert()
    .from_select(
        [*_NEXT_COLUMNS, "version"],
        sa.select(
            *(sa.cast(sa.bindparam(c), t.lead_versions.c[c].type) for c in _NEXT_COLUMNS),
            sa.func.coalesce(sa.func.max(_V.version), 0) + 1,
        ).where(_V.account_id == sa.bindparam("lead_account"), _V.lead_id == sa.bindparam("lead")),
    )
    .returning(_V.version)
)

# a lead's version moved to another number (the first write of a lead older than its
# history: once per such lead, so on every first update of an imported lead)
_RENUMBER = (
    t.lead_versions.update()
    .where(
        _V.account_id == sa.bindparam("account_id"),
        _V.lead_id == sa.bindparam("lead_id"),
        _V.version == sa.bindparam("old"),
    )
    .values(version=sa.bindparam("new"))
)


def _latest_of(n: int) -> sa.Select[Any]:
    """The newest version number of each of ``n`` leads of one account (those with
    none are missing)."""
    ids: list[sa.BindParameter[int]] = [sa.bindparam(f"l{i}") for i in range(n)]
    return (
        sa.select(_V.lead_id, sa.func.max(_V.version))
        .where(_V.account_id == sa.bindparam("account_id"), _V.lead_id.in_(ids))
        .group_by(_V.lead_id)
    )


class _Together:
    """The leads of a :meth:`SqlHistory.together` block, their newest numbers once read,
    and the versions to add at its end."""

    __slots__ = ("account_id", "ids", "latest", "rows")

    def __init__(self, account_id: int, ids: Sequence[int]) -> None:
        self.account_id = account_id
        self.ids = frozenset(ids)
        self.latest: dict[int, int] | None = None
        self.rows: list[dict[str, Any]] = []


def _version(row: Any) -> Version:
    return Version(**{c: row._mapping[c] for c in _COLUMNS})


class SqlHistory(SqlRepository, History):
    """The lead versions of one transaction."""

    def latest(self, account_id: int, lead_id: int) -> int:
        cur = self.fast.run(
            "latest_version", _LATEST, {"account_id": account_id, "lead_id": lead_id}
        )
        value = cur.fetchone()[0]
        return int(value) if value is not None else 0

    def add(self, version: Version) -> None:
        self.fast.defer("insert_version", _INSERT_VERSION, msgspec.structs.asdict(version))

    def add_next(self, version: Version) -> int:
        values = msgspec.structs.asdict(version)
        del values["version"]
        values["lead_account"], values["lead"] = version.account_id, version.lead_id
        return int(self.fast.run("insert_next_version", _INSERT_NEXT, values).fetchone()[0])

    _together: _Together | None = None

    @contextmanager
    def together(self, account_id: int, lead_ids: Sequence[int]) -> Iterator[None]:
        self._together = together = _Together(account_id, lead_ids)
        try:
            yield
            if together.rows:
                self.fast.defer_many("insert_version", _INSERT_VERSION, together.rows)
        finally:
            self._together = None

    def add_following(self, version: Version, baseline: Callable[[], Version] | None) -> None:
        together = self._together
        lead_id = version.lead_id
        if (
            together is None
            or lead_id not in together.ids
            or version.account_id != together.account_id
        ):
            super().add_following(version, baseline)
            return
        latest = together.latest
        if latest is None:
            latest = together.latest = self._latest_of(together.account_id, together.ids)
        number = latest.get(lead_id, 0)
        if number == 0 and baseline is not None:
            # a lead older than its history: the state before this write first, as 1
            first = msgspec.structs.asdict(baseline())
            first["version"] = number = 1
            together.rows.append(first)
        number += 1
        row = msgspec.structs.asdict(version)
        row["version"] = latest[lead_id] = number
        together.rows.append(row)

    def _latest_of(self, account_id: int, lead_ids: frozenset[int]) -> dict[int, int]:
        """The newest version number of each of the leads that has one."""
        ids = sorted(lead_ids)
        values: dict[str, Any] = {f"l{i}": lead for i, lead in enumerate(ids)}
        values["account_id"] = account_id
        cur = self.fast.run(f"latest_versions_{len(ids)}", lambda: _latest_of(len(ids)), values)
        return {int(lead): int(n) for lead, n in cur.fetchall()}

    def renumber(self, account_id: int, lead_id: int, old: int, new: int) -> None:
        self.fast.run(
            "renumber_version",
            _RENUMBER,
            {"account_id": account_id, "lead_id": lead_id, "old": old, "new": new},
        )

    def versions(
        self, account_id: int, lead_id: int, *, before: int | None, limit: int
    ) -> list[Version]:
        stmt = sa.select(t.lead_versions).where(_V.account_id == account_id, _V.lead_id == lead_id)
        if before is not None:
            stmt = stmt.where(_V.version < before)
        stmt = stmt.order_by(_V.version.desc()).limit(limit)
        return [_version(r) for r in self.conn.execute(stmt)]

    def get(self, account_id: int, lead_id: int, version: int) -> Version | None:
        row = self._one(
            sa.select(t.lead_versions).where(
                _V.account_id == account_id, _V.lead_id == lead_id, _V.version == version
            )
        )
        return None if row is None else _version(row)

    def deleted(self, account_id: int, *, after: int | None, limit: int) -> list[Version]:
        """The delete versions of leads that do not exist now, by lead id."""
        latest = (
            sa.select(_V.lead_id, sa.func.max(_V.version).label("version"))
            # the literal lets both engines use the partial index ix_lead_versions_deleted
            .where(_V.account_id == account_id, _V.event == sa.literal_column("'delete'"))
            .where(
                ~sa.exists().where(t.leads.c.id == _V.lead_id, t.leads.c.account_id == account_id)
            )
            .group_by(_V.lead_id)
        )
        if after is not None:
            latest = latest.where(_V.lead_id > after)
        sub = latest.order_by(_V.lead_id).limit(limit).subquery()
        stmt = (
            sa.select(t.lead_versions)
            .join(sub, sa.and_(_V.lead_id == sub.c.lead_id, _V.version == sub.c.version))
            .where(_V.account_id == account_id)
            .order_by(_V.lead_id)
        )
        return [_version(r) for r in self.conn.execute(stmt)]

    def run_leads(
        self, account_id: int, run: str, *, after: int | None, limit: int
    ) -> list[tuple[int, int, int]]:
        """``(lead_id, first version, last version)`` of the leads ``run`` wrote."""
        stmt = (
            sa.select(_V.lead_id, sa.func.min(_V.version), sa.func.max(_V.version))
            .where(_V.account_id == account_id, _V.import_run == run)
            .group_by(_V.lead_id)
            .order_by(_V.lead_id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(_V.lead_id > after)
        return [(int(a), int(b), int(c)) for a, b, c in self.conn.execute(stmt)]

    def run_size(self, account_id: int, run: str) -> int:
        stmt = sa.select(sa.func.count(sa.distinct(_V.lead_id))).where(
            _V.account_id == account_id, _V.import_run == run
        )
        return int(self.conn.execute(stmt).scalar_one())

    def prune(self, *, older_than: int | None, keep: int | None) -> int:
        """Delete versions recorded before ``older_than`` and, per lead, all but the
        newest ``keep``; how many went."""
        return prune_versions(
            self.conn, t.lead_versions, ("account_id", "lead_id"), older_than=older_than, keep=keep
        )


def prune_versions(
    conn: sa.Connection,
    table: sa.Table,
    owner: Sequence[str],
    *,
    older_than: int | None,
    keep: int | None,
) -> int:
    """Retention of a versions table (``lead_versions``, ``record_versions``): delete the
    versions recorded before ``older_than`` and, per owner (the columns that name one
    record's history), all but the newest ``keep``; how many went."""
    c = table.c
    gone = 0
    if older_than is not None:
        # versions are numbered in the order they are written, so those older than the
        # cut are the ids below the first one at or after it: found by walking the ids
        # from the oldest (as many rows as are pruned), with no index on ``at`` for
        # every write to keep up
        first_kept = sa.select(c.id).where(c.at >= older_than).order_by(c.id).limit(1)
        kept = conn.execute(first_kept).scalar()
        stmt = table.delete()
        if kept is not None:
            stmt = stmt.where(c.id < kept)
        gone += conn.execute(stmt).rowcount
    if keep is not None:
        newer = table.alias("newer")
        rank = (
            sa.select(sa.func.count())
            .where(*(newer.c[col] == c[col] for col in owner), newer.c.version > c.version)
            .scalar_subquery()
        )
        gone += conn.execute(table.delete().where(rank >= keep)).rowcount
    return gone


_K = t.idempotency_keys.c


class SqlIdempotency(SqlRepository, Idempotency):
    """The stored answers of keyed writes, in one transaction."""

    def find(self, account_id: int, key: str) -> StoredAnswer | None:
        row = self._one(
            sa.select(t.idempotency_keys).where(_K.account_id == account_id, _K.key == key)
        )
        if row is None:
            return None
        m = row._mapping
        headers = [tuple(h) for h in msgspec.json.decode(m["headers"])]
        return StoredAnswer(
            m["fingerprint"], m["status"], headers, m["body"].encode(), m["created_at"]
        )

    def claim(self, account_id: int, key: str, fingerprint: str, now: int) -> bool:
        """Insert the key's row (an empty answer) unless it exists; whether it was inserted.

        On PostgreSQL a concurrent claim of the same key waits here until the first
        transaction ends (the unique index), then inserts nothing if that one committed.
        """
        values = {
            "account_id": account_id,
            "key": key,
            "fingerprint": fingerprint,
            "status": 0,
            "headers": "[]",
            "body": "",
            "created_at": now,
        }
        # the dialects imported here: a SQLite server never loads the PostgreSQL one
        stmt: Any
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            stmt = postgresql.insert(t.idempotency_keys).values(values).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects import sqlite

            stmt = sqlite.insert(t.idempotency_keys).values(values).on_conflict_do_nothing()
        stmt = stmt.returning(_K.id)
        # RETURNING, not rowcount: psycopg's rowcount is not 0 for a conflict skipped
        return self.conn.execute(stmt).first() is not None

    def forget(self, account_id: int, key: str) -> None:
        self.conn.execute(
            t.idempotency_keys.delete().where(_K.account_id == account_id, _K.key == key)
        )

    def answer(
        self,
        account_id: int,
        key: str,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
    ) -> None:
        self.conn.execute(
            t.idempotency_keys.update()
            .where(_K.account_id == account_id, _K.key == key)
            .values(
                status=status,
                headers=msgspec.json.encode([list(h) for h in headers]).decode(),
                body=body.decode(),
            )
        )

    def prune(self, older_than: int) -> int:
        return int(
            self.conn.execute(
                t.idempotency_keys.delete().where(_K.created_at < older_than)
            ).rowcount
        )
