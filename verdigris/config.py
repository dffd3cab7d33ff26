"""Settings: defaults, then ``VERDIGRIS_*`` environment variables, then CLI flags."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

DEFAULT_DB = "sqlite:///verdigris.db"
#: every acknowledged write is flushed to disk before its answer (docs/deploy.md)
DURABLE = "durable"
#: writes reach the OS at commit, the disk later: a power cut can lose the last ones
FAST = "fast"
DURABILITY_MODES = (DURABLE, FAST)
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
    #: PostgreSQL connections each worker's event loop may hold besides its pool, for
    #: GET /account and GET /leads/{id} without a thread (0: those run on the pool too)
    db_loop_connections: int = 4
    #: "durable" (flush every commit to disk) or "fast"; unset: durable, except fast for
    #: an in-memory database, which nothing outlives anyway (docs/deploy.md)
    durability: str | None = None
    #: failed authentications (wrong key or unknown email) allowed per client address and
    #: per email within the window below, before further attempts answer 429 unchecked
    #: (docs/deploy.md, "Failed authentication"); 0 turns the limit off
    auth_failure_limit: int = 10
    auth_failure_window_seconds: int = 300
    log_level: str = "info"
    #: the emulator's controls under /verdigris/v1 and the inspector at /verdigris/ui
    #: (reset, seed, snapshots, faults, the request journal, the clock; docs/emulator.md);
    #: off, every one of them answers 404
    emulator: bool = False
    #: with the emulator: every control needs this in X-Verdigris-Admin-Token (unset: an
    #: account's own Copper key controls its own account)
    admin_token: str | None = None
    #: with the emulator: a fixture file (JSON, or a CSV of leads) seeded at start, the
    #: state every reset goes back to
    seed: str | None = None
    #: with the emulator: requests the journal keeps, and bytes kept of each body
    journal_size: int = 1000
    journal_body_bytes: int = 4096
    #: history on/off (docs/history.md): a version stored with every write of a lead, a
    #: person, a company or an opportunity
    history: bool = True
    #: history retention: versions older than this many days are pruned (0: kept)
    history_keep_days: int = 0
    #: history retention: all but this many newest versions of each record are pruned
    #: (0: all kept)
    history_keep_versions: int = 0
    #: how long the answer of a write sent with an Idempotency-Key is replayed, in hours
    idempotency_hours: int = 24
    #: how often each worker prunes expired history versions and idempotency keys, seconds
    prune_interval_seconds: int = 3600
    #: seconds between a change and its webhook notification (Copper's can take up to
    #: 15 minutes; 0 sends at once, handy in tests)
    webhook_delay: int = 0
    #: how subscriptions that choose nothing are delivered: "copper" (at most once, no
    #: retry, like Copper) or "reliable" (retries with backoff, signed)
    webhook_mode: str = "copper"
    #: hosts (comma-separated) whose http targets are accepted and whose private
    #: addresses are allowed; loopback is always accepted
    webhook_allow_hosts: str = ""
    #: accept webhook targets in private address ranges (10/8, 172.16/12, 192.168/16...)
    webhook_allow_private: bool = False
    #: seconds a webhook receiver gets to answer
    webhook_timeout: float = 10.0
    #: delivery attempts the inbox keeps per account
    webhook_inbox_size: int = 1000
    #: seconds a stopped server's claim on webhook events holds before another takes over
    webhook_lease_seconds: float = 10.0
    #: send webhooks from this process (off: only write the outbox; another server sends)
    webhook_delivery: bool = True

    def __post_init__(self) -> None:
        if self.durability is not None and self.durability not in DURABILITY_MODES:
            raise ValueError(
                f"durability must be one of {', '.join(DURABILITY_MODES)}, got {self.durability!r}"
            )
        if self.journal_size < 1 or self.journal_body_bytes < 0:
            raise ValueError("journal_size must be at least 1 and journal_body_bytes 0 or more")
        if self.webhook_mode not in ("copper", "reliable"):
            raise ValueError(f"webhook_mode must be copper or reliable, got {self.webhook_mode!r}")
        if self.webhook_delay < 0 or self.webhook_timeout <= 0 or self.webhook_lease_seconds <= 0:
            raise ValueError(
                "webhook_delay must be 0 or more, webhook_timeout and webhook_lease_seconds "
                "more than 0"
            )
        if self.auth_failure_limit < 0 or self.auth_failure_window_seconds < 1:
            raise ValueError(
                "auth_failure_limit must be 0 or more and auth_failure_window_seconds at least 1"
            )
        if min(self.history_keep_days, self.history_keep_versions) < 0 or (
            self.idempotency_hours < 1 or self.prune_interval_seconds < 1
        ):
            raise ValueError(
                "history_keep_days and history_keep_versions must be 0 or more, "
                "idempotency_hours and prune_interval_seconds at least 1"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``VERDIGRIS_<FIELD>`` from ``environ`` (strings converted to
        each field's type by msgspec), then ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(f"VERDIGRIS_{field.name.upper()}")
            if raw is None or (raw == "" and field.default is None):
                continue  # unset (an empty optional setting is unset too)
            if field.type == "bool":
                raw = raw.strip().lower()
                raw = _FLAGS.get(raw, raw)
            values[field.name] = raw
        try:
            settings = msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValueError(_env_error(str(exc), values)) from None
        overrides = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(settings, **overrides) if overrides else settings


#: the spellings of on and off accepted besides msgspec's own ("true", "false", "1", "0")
_FLAGS = {"yes": "true", "on": "true", "no": "false", "off": "false"}


def _env_error(message: str, values: Mapping[str, Any]) -> str:
    """msgspec's ``Expected `int`, got `str` - at `$.port``` as the variable to fix:
    ``VERDIGRIS_PORT='x': Expected `int```."""
    what, _, where = message.partition(" - at `$.")
    name = where.rstrip("`")
    if name not in values:
        return message
    return f"VERDIGRIS_{name.upper()}={values[name]!r}: {what.removesuffix(', got `str`')}"
