"""Custom fields in SQLAlchemy Core (issue 5): ``tx.definitions`` (:class:`SqlDefinitions`),
definition rows, and search filters.

Definitions keep ``available_on`` and ``options`` as JSON text. Each search filter
(:class:`~verdigris.domain.custom_field_filters.CustomFilter`) becomes ``leads.id [NOT]
IN (SELECT lead_id FROM lead_custom_values WHERE account_id = ? AND definition_id = ?
AND ...)``: the subquery seeks ``ix_lead_custom_values_match`` (option ids, checkbox)
or ``ix_lead_custom_values_num`` (ranges), so a filter costs the number of leads holding
the values, never a scan of the account's leads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from verdigris.domain.custom_field_filters import CustomFilter
from verdigris.domain.custom_fields import CustomFieldDefinition, Option, value_key
from verdigris.store import schema as t
from verdigris.store.base import Definitions, StoreConflict
from verdigris.store.rows import SqlRepository

v = t.lead_custom_values.c
_json = msgspec.json.Encoder()
_options = msgspec.json.Decoder(tuple[Option, ...])
_strings = msgspec.json.Decoder(tuple[str, ...])


def definition_row(d: CustomFieldDefinition) -> dict[str, Any]:
    return {
        "account_id": d.account_id,
        "name": d.name,
        "canonical_name": d.canonical_name,
        "data_type": d.data_type,
        "available_on": _json.encode(d.available_on).decode(),
        "is_filterable": d.is_filterable,
        "options": _json.encode(d.options).decode(),
        "currency": d.currency,
    }


def definition_from_row(row: Any) -> CustomFieldDefinition:
    m = row._mapping
    return CustomFieldDefinition(
        id=m["id"],
        account_id=m["account_id"],
        name=m["name"],
        data_type=m["data_type"],
        available_on=_strings.decode(m["available_on"]),
        is_filterable=bool(m["is_filterable"]),
        options=_options.decode(m["options"]),
        currency=m["currency"],
        canonical_name=m["canonical_name"],
    )


# Built once, like the lead statements (lead_rows.py).
_FIELDS_VERSION = sa.select(t.accounts.c.custom_fields_version).where(
    t.accounts.c.id == sa.bindparam("account_id")
)
_BUMP_FIELDS_VERSION = (
    t.accounts.update()
    .where(t.accounts.c.id == sa.bindparam("account_id"))
    .values(custom_fields_version=t.accounts.c.custom_fields_version + 1)
)


class SqlDefinitions(SqlRepository, Definitions):
    """The custom field definitions of one transaction. Every change bumps the
    account's ``custom_fields_version`` in the same transaction."""

    #: versions read in this transaction, kept until it changes a definition: every
    #: context a write builds (the lead's own, the webhook observer's...) asks for it,
    #: and on PostgreSQL each question was a round trip in the middle of the pipeline
    _versions: dict[int, int] | None = None
    #: once a definition changed here, versions are read again every time (a savepoint
    #: rolled back could take the change back, and a kept version would lie)
    _changed = False

    #: versions asked ahead (version_later) and not read back yet
    _asked: dict[int, Callable[[], int]] | None = None

    def version(self, account_id: int) -> int:
        kept = self._versions.get(account_id) if self._versions is not None else None
        if kept is not None:
            return kept
        asked = self._asked.pop(account_id, None) if self._asked is not None else None
        if asked is not None:  # its answer came (or comes) with a statement already sent
            return asked()
        row = self.fast.run(
            "fields_version", _FIELDS_VERSION, {"account_id": account_id}
        ).fetchone()
        return self._keep(account_id, int(row[0]) if row else 0)

    def _keep(self, account_id: int, found: int) -> int:
        if not self._changed:
            if self._versions is None:
                self._versions = {}
            self._versions[account_id] = found
        return found

    def share_versions(self, versions: dict[int, int]) -> None:
        """Keep versions in ``versions``, a dict shared by the transactions of one group
        commit (``SqlBatch``): they run one after another in one database transaction,
        so a version one of them read holds for the next, until a definition changes
        (:meth:`_bump_version` empties it) or a transaction of the group is rolled back
        (the batch empties it)."""
        self._versions = self._shared_versions = versions

    #: the group commit's kept versions, if this transaction is one of it
    _shared_versions: dict[int, int] | None = None

    def version_later(self, account_id: int) -> Callable[[], int]:
        kept = self._versions.get(account_id) if self._versions is not None else None
        if kept is not None:  # read earlier in this transaction (or its group commit)
            return lambda: kept
        rows = self.fast.ahead("fields_version", _FIELDS_VERSION, {"account_id": account_id})
        answer: list[int] = []

        def version() -> int:
            if not answer:
                found = rows()
                answer.append(self._keep(account_id, int(found[0][0]) if found else 0))
            return answer[0]

        if not self._changed:
            if self._asked is None:
                self._asked = {}
            self._asked[account_id] = version
        return version

    def _bump_version(self, account_id: int) -> None:
        self._changed = True
        self._versions = None
        if self._shared_versions is not None:
            self._shared_versions.clear()
        self._asked = None
        self.conn.execute(_BUMP_FIELDS_VERSION, {"account_id": account_id})

    def all(self, account_id: int) -> list[CustomFieldDefinition]:
        c = t.custom_field_definitions.c
        rows = self.conn.execute(
            sa.select(t.custom_field_definitions).where(c.account_id == account_id).order_by(c.id)
        )
        return [definition_from_row(r) for r in rows]

    def ids_on(self, account_id: int, entity: str) -> list[int]:
        return [d.id for d in self.all(account_id) if entity in d.available_on]

    def get(self, account_id: int, definition_id: int) -> CustomFieldDefinition | None:
        c = t.custom_field_definitions.c
        row = self._one(
            sa.select(t.custom_field_definitions).where(
                c.id == definition_id, c.account_id == account_id
            )
        )
        return definition_from_row(row) if row else None

    def insert(self, definition: CustomFieldDefinition) -> CustomFieldDefinition:
        try:
            ident = self.conn.execute(
                t.custom_field_definitions.insert()
                .values(**definition_row(definition))
                .returning(t.custom_field_definitions.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from exc
        self._bump_version(definition.account_id)
        return msgspec.structs.replace(definition, id=ident)

    def update(self, definition: CustomFieldDefinition) -> None:
        c = t.custom_field_definitions.c
        try:
            self.conn.execute(
                t.custom_field_definitions.update()
                .where(c.id == definition.id, c.account_id == definition.account_id)
                .values(**definition_row(definition))
            )
        except sa.exc.IntegrityError as exc:
            raise StoreConflict(str(exc.orig)) from exc
        self._bump_version(definition.account_id)

    def delete(self, account_id: int, definition_id: int) -> bool:
        v = t.lead_custom_values.c
        self.conn.execute(
            t.lead_custom_values.delete().where(
                v.account_id == account_id, v.definition_id == definition_id
            )
        )
        c = t.custom_field_definitions.c
        result = self.conn.execute(
            t.custom_field_definitions.delete().where(
                c.id == definition_id, c.account_id == account_id
            )
        )
        self._bump_version(account_id)
        return bool(result.rowcount)

    def allocate_option_id(self, account_id: int) -> int:
        return int(
            self.conn.execute(
                t.custom_field_option_ids.insert()
                .values(account_id=account_id)
                .returning(t.custom_field_option_ids.c.id)
            ).scalar_one()
        )


# --- search filters -----------------------------------------------------------------------


def _holders(account_id: int, f: CustomFilter, *conds: ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(v.lead_id).where(
        v.account_id == account_id, v.definition_id == f.definition_id, *conds
    )


def custom_condition(
    lead_id: sa.Column[Any], account_id: int, f: CustomFilter
) -> ColumnElement[bool] | None:
    """The condition on ``lead_id`` for one filter (``None`` when it filters nothing)."""
    if f.kind == "checked":
        ticked = lead_id.in_(_holders(account_id, f, v.value_key == value_key(True)))
        return ticked if f.checked else sa.not_(ticked)
    if f.kind == "range":
        bounds = []
        if f.low is not None:
            bounds.append(v.value_num >= f.low)
        if f.high is not None:
            bounds.append(v.value_num <= f.high)
        return lead_id.in_(_holders(account_id, f, *bounds))
    empty = lead_id.not_in(_holders(account_id, f))
    if not f.keys:
        return empty if f.allow_empty else None
    if f.mode == "NONE":
        return lead_id.not_in(_holders(account_id, f, v.value_key.in_(f.keys)))
    if f.mode == "ALL":
        match: ColumnElement[bool] = sa.and_(
            *(lead_id.in_(_holders(account_id, f, v.value_key == k)) for k in f.keys)
        )
    else:
        match = lead_id.in_(_holders(account_id, f, v.value_key.in_(f.keys)))
    return sa.or_(match, empty) if f.allow_empty else match


def custom_conditions(
    lead_id: sa.Column[Any], account_id: int, filters: tuple[CustomFilter, ...]
) -> list[ColumnElement[bool]]:
    """The conditions of every filter, to AND with the rest of a search."""
    out = []
    for f in filters:
        condition = custom_condition(lead_id, account_id, f)
        if condition is not None:
            out.append(condition)
    return out
