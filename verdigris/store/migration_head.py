"""Whether a database is at the newest migration, without importing Alembic.

Starting a server on an existing database (the common case) needs no migration; Alembic
and its script directory take longer to import and read than the whole check. The head
revisions are read from the migration files' ``revision`` / ``down_revision`` lines
(the revisions no other file names as its parent), and compared with the database's
``alembic_version`` rows. Anything unexpected answers "not at head", and the caller
runs Alembic as before.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import sqlalchemy as sa

VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^revision(?:\s*:[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?\s*=\s*(.+)$", re.M)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


@cache
def heads() -> frozenset[str]:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(text)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    return frozenset(revisions - parents)


def at_head(conn: sa.Connection) -> bool:
    """Whether the database on ``conn`` has every migration applied."""
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except sa.exc.DBAPIError:
        return False
    current = {r[0] for r in rows}
    return bool(current) and current == heads()
