"""The write path's statements, compiled once per dialect and run on the DB-API cursor.

An upsert sends five to seven small statements. Through ``Connection.execute`` each
one costs 50-70 us of SQLAlchemy bookkeeping (execution context, parameter
processing, result wrapping) on top of the database's own work, which made
SQLAlchemy about a third of an upsert on SQLite (docs/performance.md). The hot
statements are still written with SQLAlchemy Core, so that one definition serves
every engine; :func:`prepared` compiles each once for the engine's dialect, and
:class:`FastCursor` sends the compiled SQL straight to the driver, inside the
transaction the :class:`sqlalchemy.engine.Connection` has begun.

What this skips is safe for these statements only: their columns carry no type
that needs bind or result processing (integers, floats and text, as both drivers
return them), and their parameters are plain values. Driver errors are re-raised
as SQLAlchemy's wrapped exceptions (``OperationalError``, ``IntegrityError``...),
so callers handle them exactly as before.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from verdigris.cache import BoundedCache


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement as the driver takes it."""

    sql: str
    #: bind names in order, for positional paramstyles (SQLite's ``?``); None: by name
    names: tuple[str, ...] | None
    #: values SQLAlchemy fixed at compile time (SQLite's ``OFFSET 0`` after a LIMIT)
    fixed: Mapping[str, Any]

    def params(self, values: Mapping[str, Any]) -> Any:
        if self.fixed:
            values = {**self.fixed, **values}
        if self.names is None:
            return values
        return tuple([values[n] for n in self.names])


#: compiled statements kept per process, by (dialect, paramstyle, key); the keys are names
#: written in the store's code, a few dozen in all, so the bound is never reached in use
MAX_PREPARED = 1024
_cache: BoundedCache[tuple[str, str, str], Prepared] = BoundedCache(MAX_PREPARED)


Statement = sa.ClauseElement | Callable[[], sa.ClauseElement]

#: the same statements by key alone, per (dialect, paramstyle), for the cursors' lookups:
#: a plain dict read, without the tuple key and the recency bookkeeping of ``_cache``
#: (a dozen lookups an upsert). Filled up to ``MAX_PREPARED`` keys; beyond, ``_cache``.
_hot: dict[tuple[str, str], dict[str, Prepared]] = {}


def prepared(
    key: str, stmt: Statement, dialect: Dialect, *, sqlite_index: tuple[str, str] | None = None
) -> Prepared:
    """``stmt`` compiled for ``dialect``, once per (dialect, key). ``stmt`` may be a
    function that builds the statement, called only the first time.

    ``sqlite_index=(table, index)`` pins SQLite's plan to that index (``INDEXED BY``):
    statistics from ANALYZE are averages, and an account where most leads share one
    key (no email: ``""``) can talk the planner into scanning the table.
    """
    cache_key = (dialect.name, dialect.paramstyle, key)
    hit = _cache.get(cache_key)
    if hit is None:
        if not isinstance(stmt, sa.ClauseElement):
            stmt = stmt()
        hit = compile_statement(stmt, dialect)
        if sqlite_index is not None and dialect.name == "sqlite":
            table, index = sqlite_index
            sql, found = re.subn(rf"\bFROM {table}\b", f"FROM {table} INDEXED BY {index}", hit.sql)
            if found != 1:
                raise ValueError(f"{key}: cannot pin {table} to {index} in {hit.sql!r}")
            hit = Prepared(sql, hit.names, hit.fixed)
        _cache.put(cache_key, hit)
    return hit


def compile_statement(
    stmt: sa.ClauseElement, dialect: Dialect, *, variable: frozenset[str] | None = None
) -> Prepared:
    """``stmt`` compiled for ``dialect``.

    By default the parameters that have a value are fixed (constants of the
    statement) and the others are left to :meth:`Prepared.params`. With ``variable``
    (an empty set too), every parameter is fixed except those named there, whatever
    their value; lists for ``IN`` are then written out, one parameter per item.
    """
    kwargs = {"render_postcompile": True} if variable is not None else {}
    compiled = stmt.compile(dialect=dialect, compile_kwargs=kwargs)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ()) if compiled.positional else None
    params = compiled.params
    if variable is not None:
        fixed = {k: v for k, v in params.items() if k not in variable}
    else:
        fixed = {k: v for k, v in params.items() if v is not None}
    return Prepared(compiled.string, names, fixed)


_savepoints = itertools.count(1)


def savepoint_name() -> str:
    """A savepoint name not used before in this process."""
    return f"vsp_{next(_savepoints)}"


#: ``Connection.info`` key: how many savepoints of :meth:`FastCursor.savepoint` are open
#: on the connection (the next one is named after its depth)
_SAVEPOINT_DEPTH = "verdigris_savepoint_depth"


class FastCursor:
    """A DB-API cursor on the connection of one open transaction."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.dialect = dialect = conn.dialect
        self._cursor: Any = None
        hot = _hot.get((dialect.name, dialect.paramstyle))
        if hot is None:
            hot = _hot.setdefault((dialect.name, dialect.paramstyle), {})
        self._hot = hot

    def prepared(
        self, key: str, stmt: Statement, *, sqlite_index: tuple[str, str] | None = None
    ) -> Prepared:
        """:func:`prepared` for this cursor's dialect."""
        p = self._hot.get(key)
        if p is None:
            p = prepared(key, stmt, self.dialect, sqlite_index=sqlite_index)
            if len(self._hot) < MAX_PREPARED:
                self._hot[key] = p
        return p

    def _cur(self) -> Any:
        if self._cursor is None:
            self._cursor = self._new_cursor()
        return self._cursor

    def _new_cursor(self, factory: Any = None) -> Any:
        """A cursor of the driver's connection (``factory(connection)``, if given)."""
        raw = self.conn.connection.dbapi_connection
        return raw.cursor() if factory is None else factory(raw)  # type: ignore[union-attr]

    def run(
        self,
        key: str,
        stmt: Statement,
        values: Mapping[str, Any],
        *,
        sqlite_index: tuple[str, str] | None = None,
    ) -> Any:
        """Execute; the cursor, to fetch from."""
        p = self.prepared(key, stmt, sqlite_index=sqlite_index)
        return self.execute(p.sql, p.params(values))

    def execute(self, sql: str, params: Any = (), *, binary: bool = False) -> Any:
        """Execute; the cursor, to fetch from (``binary``: its rows in PostgreSQL's
        binary format, psycopg only)."""
        cur = self._cursor if self._cursor is not None else self._cur()
        # try/except rather than _driver_errors: a context manager per statement cost
        # about 5% of an upsert's CPU on SQLite
        try:
            if binary:
                cur.execute(sql, params, binary=True)
            else:
                cur.execute(sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(
                sql, params, exc, self.dialect.loaded_dbapi.Error
            ) from exc
        return cur

    def executemany(self, key: str, stmt: Statement, rows: list[dict[str, Any]]) -> None:
        p = self.prepared(key, stmt)
        if len(rows) == 1:  # a lead's one tag or phone: no executemany round of its own
            self.execute(p.sql, p.params(rows[0]))
            return
        params = [p.params(r) for r in rows]
        cur = self._cursor if self._cursor is not None else self._cur()
        try:  # as execute: no context manager per statement
            cur.executemany(p.sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(
                p.sql, params, exc, self.dialect.loaded_dbapi.Error
            ) from exc

    # Statements whose results nobody reads: a cursor may hold them back and send them
    # with the next statement that has to wait for its answer (PostgreSQL's pipeline,
    # store/postgres.py), always before any later statement, so the order of the
    # transaction's statements is kept. Here they run at once. A failure of one held
    # back is raised by the call that sends it, inside the same transaction and
    # savepoint (a savepoint's end sends what it holds, or drops it when rolled back).

    def defer(self, key: str, stmt: Statement, values: Mapping[str, Any]) -> None:
        """:meth:`run`, its result unread."""
        self.run(key, stmt, values)

    def defer_sql(self, sql: str, params: Any = ()) -> None:
        """:meth:`execute`, its result unread."""
        self.execute(sql, params)

    def defer_many(self, key: str, stmt: Statement, rows: list[dict[str, Any]]) -> None:
        """:meth:`executemany`, possibly later."""
        self.executemany(key, stmt, rows)

    def ahead(
        self, key: str, stmt: Statement, values: Mapping[str, Any]
    ) -> Callable[[], list[Any]]:
        """A statement whose rows are read later, by calling what this returns: here it
        runs then; a cursor that holds statements back may send it with them."""
        return lambda: list(self.run(key, stmt, values).fetchall())

    def flush(self) -> None:
        """Send what is held back (nothing here)."""

    @contextmanager
    def _driver_errors(self, sql: str, params: Any) -> Iterator[None]:
        """The driver's errors as SQLAlchemy's (OperationalError, IntegrityError...).

        A lost connection is not looked into here: the rollback that follows any failure
        goes through SQLAlchemy, which finds the connection gone and invalidates the
        pool's connections (``SqlStore._open``)."""
        error = self.dialect.loaded_dbapi.Error
        try:
            yield
        except error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, error) from exc

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """SAVEPOINT ... RELEASE, or ROLLBACK TO on an exception (which propagates).

        Named after how many are open on the connection (``vsd_1`` for the outermost,
        ``vsd_2`` inside it...; never a name of :func:`savepoint_name`, ``vsp_N``), so
        that the same few statements come back request after request: the driver keeps
        them prepared (sqlite3's statement cache), where a name never used before was
        parsed again each time, and took a place in that cache from a statement used
        again. Two savepoints open at once never share a name, so a ``ROLLBACK TO``
        reaches its own even if an inner one failed to end."""
        info = self.conn.info
        depth = info.get(_SAVEPOINT_DEPTH, 0) + 1
        info[_SAVEPOINT_DEPTH] = depth
        name = f"vsd_{depth}"
        try:
            self.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                self.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            info[_SAVEPOINT_DEPTH] = depth - 1
