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


def open_store(url: str) -> Store:
    """Open the store at ``url``; the scheme picks the engine."""
    url = normalize_url(url)
    if url.startswith("sqlite:"):
        from verdigris.store.sqlite import SqliteStore

        return SqliteStore(url)
    if url.startswith("postgresql+"):
        from verdigris.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")
