"""Settings: defaults, then ``VERDIGRIS_*`` environment variables, then CLI flags."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_DB = "sqlite:///verdigris.db"
LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def configure_logging(level: str = "info") -> None:
    """verdigris's log lines on stderr, once per process (each worker is a process)."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    logging.getLogger("alembic").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Settings:
    """Everything a verdigris server can be told. Env: ``VERDIGRIS_<FIELD>`` upper-cased."""

    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: largest request body accepted, in bytes (413 above it)
    max_body_bytes: int = 1024 * 1024
    #: items allowed in one bulk_create / bulk_update request (Copper: 10)
    bulk_limit: int = 10
    #: rate limits on/off (off is handy for local emulation and benchmarks)
    rate_limits: bool = True
    #: Copper's general limit, requests per minute per user, rolling window
    rate_limit_per_minute: int = 180
    #: Copper's extra limit on bulk endpoints, requests per second per user
    bulk_rate_limit_per_second: int = 3
    #: share rate limit counters across workers and machines, e.g. redis://127.0.0.1:6379/0
    redis_url: str | None = None
    #: prefix of every rate-limit key in Redis: give each deployment sharing one Redis its own
    rate_limit_key_prefix: str = "verdigris"
    #: PostgreSQL connections each worker process may hold (workers x machines x this must
    #: stay under the server's max_connections); SQLite ignores it
    db_pool_size: int = 10
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(f"VERDIGRIS_{field.name.upper()}")
            if raw is not None:
                values[field.name] = _convert(field.name, field.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    if kind.startswith("bool"):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"VERDIGRIS_{name.upper()} must be a boolean, got {raw!r}")
    if kind.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"VERDIGRIS_{name.upper()} must be an integer, got {raw!r}") from None
    return raw or None if "None" in kind else raw
