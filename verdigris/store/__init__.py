"""Storage: one interface (:mod:`verdigris.store.base`), one engine per database."""

from __future__ import annotations

from pathlib import Path

from verdigris.store.base import Store


def normalize_url(url: str) -> str:
    """Accept a plain file path or a SQLAlchemy-style URL; pick the psycopg driver."""
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser())
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_memory_url(url: str) -> bool:
    """Whether ``url`` is an in-memory SQLite database (it lives and dies with one process)."""
    return normalize_url(url) in ("sqlite://", "sqlite:///:memory:")


def display_url(url: str) -> str:
    """``url`` normalized, with any password masked (for logs and messages)."""
    from sqlalchemy.engine import make_url

    url = normalize_url(url)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show it without its user part
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


def durability_of(url: str, durability: str | None) -> str:
    """The durability mode a store at ``url`` runs in: the one asked for, else durable,
    except fast for an in-memory database (nothing outlives its process anyway)."""
    from verdigris.config import DURABLE, FAST

    if durability is not None:
        return durability
    return FAST if is_memory_url(url) else DURABLE


def open_store(
    url: str,
    *,
    pool_size: int = 10,
    durability: str | None = None,
    loop_connections: int | None = None,
) -> Store:
    """Open the store at ``url``; the scheme picks the engine.

    ``pool_size`` caps the connections this process holds to a network database
    (``loop_connections`` more for its event loop's hot reads, PostgreSQL's default
    when None);
    ``durability`` ("durable" or "fast", see :func:`durability_of`) says whether a
    commit waits for the disk (docs/deploy.md).
    """
    url = normalize_url(url)
    mode = durability_of(url, durability)
    if url.startswith("sqlite:"):
        from verdigris.store.sqlite import SqliteStore

        return SqliteStore(url, durability=mode)
    if url.startswith("postgresql+"):
        from verdigris.store.postgres import PostgresStore

        if loop_connections is None:
            return PostgresStore(url, pool_size=pool_size, durability=mode)
        return PostgresStore(
            url, pool_size=pool_size, durability=mode, loop_connections=loop_connections
        )
    raise ValueError(
        f"unsupported database URL {display_url(url)!r}: use sqlite:///FILE or postgresql://..."
    )
