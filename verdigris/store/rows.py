"""What the SQL repositories share: :class:`SqlRepository`, which holds the transaction's
connection and write-path cursor, and how records whose lists and objects are JSON
text become rows and back (people, companies, opportunities, activities).
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa

from verdigris.store.fast import FastCursor

_json = msgspec.json.Encoder()
_any = msgspec.json.Decoder()
R = TypeVar("R", bound=msgspec.Struct)


class SqlRepository:
    """One repository of a :class:`~verdigris.store.sql.SqlTx`: its connection, and
    the cursor of the write path (verdigris.store.fast) on that same connection."""

    def __init__(self, conn: sa.Connection, fast: FastCursor) -> None:
        self.conn = conn
        self.fast = fast

    def _one(self, stmt: sa.Executable) -> Any:
        """The first row of ``stmt``'s result, or None."""
        return self.conn.execute(stmt).first()


def whole_number(value: float | None) -> float | int | None:
    """An amount as the domain holds it: whole floats as ints."""
    if value is not None and float(value).is_integer():
        return int(value)
    return value


def record_row(record: msgspec.Struct, json_cols: frozenset[str]) -> dict[str, Any]:
    """A record as column values: lists and objects as JSON text, no ``id``."""
    row = msgspec.structs.asdict(record)
    row.pop("id")
    for col in json_cols:
        if row[col] is not None:
            row[col] = _json.encode(row[col]).decode()
    return row


@functools.lru_cache(maxsize=64)
def _plain_names(fields: tuple[str, ...]) -> tuple[str, ...]:
    """A result's column names as plain ``str`` (msgspec takes no subclass as a key)."""
    return tuple(str(f) for f in fields)


def record_from_row(row: Any, kind: type[R], json_cols: frozenset[str]) -> R:
    data = dict(zip(_plain_names(row._fields), row, strict=True))  # cheaper than row._mapping
    for col in json_cols:
        if data[col] is not None:
            data[col] = _any.decode(data[col])
    if "monetary_value" in data:
        data["monetary_value"] = whole_number(data["monetary_value"])
    return msgspec.convert(data, kind, strict=False)
