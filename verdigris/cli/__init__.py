"""The ``verdigris`` command: a thin shell over the services and the SDK (see docs/cli.md)."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
from collections.abc import Callable, Sequence

from verdigris import __version__
from verdigris.config import DEFAULT_DB, DURABILITY_MODES, Settings, configure_logging
from verdigris.domain.errors import VerdigrisError
from verdigris.services import Services
from verdigris.store import display_url, is_memory_url, open_store
from verdigris.store.base import Store, StoreError, StoreUnavailable

log = logging.getLogger("verdigris")
DEFAULT_ADMIN = "admin@verdigris.local"
#: the shortest API key ``user add --token`` accepts (generated keys have 32 characters)
MIN_TOKEN_LENGTH = 16
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: the commands that run or change a server's database: they need the ``server`` extra
SERVER_COMMANDS = ("serve", "user", "db")
#: what those commands import, all from the ``server`` extra (the SDK needs none of it)
SERVER_MODULES = ("starlette", "uvicorn", "sqlalchemy", "alembic", "limits")
#: the extra that provides a module a command may import late (a driver, a client)
EXTRA_OF = {"psycopg": "postgres", "redis": "redis"}


def _missing_extra(command: str) -> str | None:
    """One line telling how to install what ``command`` needs, or None when installed."""
    if command not in SERVER_COMMANDS:
        return None
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return (
        f"'verdigris {command}' needs the server extra (missing: {', '.join(missing)}); "
        "install it with: pip install 'verdigris[server]'"
    )


def _db_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"database URL: sqlite:///FILE (default {DEFAULT_DB}), a plain file path, "
        "sqlite:// (in memory, gone at exit; one worker only) "
        "or postgresql://USER@HOST:PORT/DB  [env VERDIGRIS_DB]",
    )


def build_parser(*, serving: bool = False) -> argparse.ArgumentParser:
    """The command line. ``serving``: ``leads`` is parsed no further than its name, so that
    ``serve``, ``user`` and ``db`` import neither the SDK nor the importer (start-up time)."""
    parser = argparse.ArgumentParser(
        prog="verdigris",
        description="A self-hosted, wire-compatible Copper CRM Developer API for Leads.",
    )
    parser.add_argument("--version", action="version", version=f"verdigris {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the API server",
        description="Serve /developer_api/v1 over HTTP. The database is created and migrated "
        "on first start; with no users yet, one is created and its key printed.",
    )
    _db_flag(serve)
    serve.add_argument(
        "--host", metavar="HOST", help="interface to bind (default 127.0.0.1)  [env VERDIGRIS_HOST]"
    )
    serve.add_argument(
        "--port", type=int, metavar="PORT", help="port (default 8000)  [env VERDIGRIS_PORT]"
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default 1)  [env VERDIGRIS_WORKERS]",
    )
    serve.add_argument(
        "--no-rate-limits",
        action="store_true",
        help="turn Copper's rate limits off (local emulation, benchmarks)  "
        "[env VERDIGRIS_RATE_LIMITS=off]",
    )
    serve.add_argument(
        "--redis-url",
        metavar="URL",
        help="share rate limit counters across workers  [env VERDIGRIS_REDIS_URL]",
    )
    serve.add_argument(
        "--durability",
        choices=DURABILITY_MODES,
        help="durable: every acknowledged write is on disk (default; fast for an in-memory "
        "database); fast: the last writes "
        "can be lost to an OS crash or power cut, for throwaway databases (docs/deploy.md)  "
        "[env VERDIGRIS_DURABILITY]",
    )
    serve.add_argument(
        "--webhook-delay",
        type=int,
        metavar="SECONDS",
        help="wait this long before sending each webhook notification (default 0; Copper's "
        "can take up to 15 minutes)  [env VERDIGRIS_WEBHOOK_DELAY]",
    )
    serve.add_argument(
        "--webhook-mode",
        choices=("copper", "reliable"),
        help="delivery of subscriptions that choose none: copper (at most once, no retry; "
        "default) or reliable (retries with backoff, signed)  [env VERDIGRIS_WEBHOOK_MODE]",
    )
    serve.add_argument(
        "--bootstrap-email",
        default=DEFAULT_ADMIN,
        metavar="EMAIL",
        help=f"email of the user created when the database has none (default {DEFAULT_ADMIN})",
    )
    serve.add_argument(
        "--bootstrap-token",
        metavar="TOKEN",
        help="API key of that first user (default: a random key, printed at start); "
        f"shorter than {MIN_TOKEN_LENGTH} characters only on a loopback --host (127.0.0.1, "
        "localhost, ::1) or an in-memory database",
    )
    serve.add_argument(
        "--allow-short-token",
        action="store_true",
        help=f"accept a --bootstrap-token shorter than {MIN_TOKEN_LENGTH} characters anywhere",
    )

    serve.add_argument(
        "--emulator",
        action="store_true",
        help="turn on the emulator's controls under /verdigris/v1 (reset, seed, snapshots, "
        "faults, the request journal, the clock) and the inspector at /verdigris/ui; "
        "one worker (docs/emulator.md)  [env VERDIGRIS_EMULATOR]",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="with --emulator: every control needs this token in X-Verdigris-Admin-Token "
        "(unset: an account's own API key controls its own account)  "
        "[env VERDIGRIS_ADMIN_TOKEN]",
    )
    serve.add_argument(
        "--seed",
        metavar="FILE",
        help="with --emulator: seed this fixture (JSON, or a CSV of leads) at start; "
        "resets go back to it  [env VERDIGRIS_SEED]",
    )

    user = sub.add_parser("user", help="manage users and API keys")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_sub.add_parser(
        "add",
        help="add a user (and its account) and print a new API key",
        description="Create the user if needed (in ACCOUNT, created and seeded if needed) "
        "and give it a new API key, printed on stdout.",
    )
    add.add_argument("email", metavar="EMAIL", help="the user's email address")
    add.add_argument(
        "--account", default="verdigris", metavar="NAME", help="account name (default verdigris)"
    )
    add.add_argument("--name", help="display name (default: the part of the email before @)")
    add.add_argument(
        "--token",
        help=f"use this exact key (for CI and local emulation; at least {MIN_TOKEN_LENGTH} "
        "characters)",
    )
    add.add_argument(
        "--allow-short-token",
        action="store_true",
        help=f"accept a --token shorter than {MIN_TOKEN_LENGTH} characters (local emulation "
        "only: a short key can be guessed); an in-memory --db always does",
    )
    _db_flag(add)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply pending migrations")
    _db_flag(upgrade)

    if serving:
        sub.add_parser("leads", help=LEADS_HELP)
        sub.add_parser("webhooks", help=WEBHOOKS_HELP)
    else:
        from verdigris.cli import leads as leads_cli
        from verdigris.cli import webhooks as webhooks_cli

        leads_cli.add_parser(sub)
        webhooks_cli.add_parser(sub)
    return parser


#: the help line of ``leads`` (verdigris/cli/leads.py gives the same)
LEADS_HELP = "import and export leads through the API"


def _run_leads(args: argparse.Namespace) -> int:
    from verdigris.cli import leads as leads_cli

    return leads_cli.run(args)


WEBHOOKS_HELP = "webhook deliveries: list and replay"


def _run_webhooks(args: argparse.Namespace) -> int:
    from verdigris.cli import webhooks as webhooks_cli

    return webhooks_cli.run(args)


def _reported_errors(command: str) -> tuple[type[Exception], ...]:
    errors: tuple[type[Exception], ...] = (VerdigrisError, StoreError, ValueError)
    if command in ("leads", "webhooks"):  # the SDK's errors: one line, exit 1
        from verdigris.client.errors import CopperError

        errors += (CopperError,)
    return errors


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "db": args.db,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "workers": getattr(args, "workers", None),
        "redis_url": getattr(args, "redis_url", None),
        "durability": getattr(args, "durability", None),
        "admin_token": getattr(args, "admin_token", None),
        "seed": getattr(args, "seed", None),
        "webhook_delay": getattr(args, "webhook_delay", None),
        "webhook_mode": getattr(args, "webhook_mode", None),
    }
    if getattr(args, "emulator", False):
        overrides["emulator"] = True
    if getattr(args, "no_rate_limits", False):
        overrides["rate_limits"] = False
    return Settings.from_env(**overrides)


def _check_token(token: str | None, *, allowed: bool, flag: str, why: str) -> None:
    """Refuse a chosen API key too short to resist guessing, unless ``allowed``."""
    if token is None or allowed or len(token) >= MIN_TOKEN_LENGTH:
        return
    raise ValueError(
        f"{flag} is {len(token)} characters long: an API key needs at least "
        f"{MIN_TOKEN_LENGTH} (leave it out for a random one){why}. For local emulation, "
        "pass --allow-short-token"
    )


def _open_migrated(url: str, durability: str | None = None) -> Store:
    """The store at ``url``, its schema brought up to date; a database that cannot be
    opened or migrated is a one-line error (StoreUnavailable), not a traceback."""
    from sqlalchemy.exc import DBAPIError

    store = open_store(url, pool_size=2, durability=durability)
    try:
        store.migrate()
    except Exception as exc:
        store.close()
        # Alembic's CommandError: Alembic is imported only when a migration runs
        alembic_error = type(exc).__name__ == "CommandError" and type(exc).__module__.startswith(
            "alembic"
        )
        if not isinstance(exc, DBAPIError) and not alembic_error:
            raise
        # the whole story (statement, traceback) with VERDIGRIS_LOG_LEVEL=debug
        log.debug("opening or migrating %s failed", display_url(url), exc_info=True)
        lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = "; ".join(
            [lines[0], *(line.strip() for line in lines[1:] if line.startswith("DETAIL"))]
        )
        raise StoreUnavailable(f"cannot use the database {display_url(url)}: {reason}") from exc
    except BaseException:
        store.close()
        raise
    return store


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    memory = is_memory_url(settings.db)
    if memory and settings.workers > 1:
        raise ValueError(
            "an in-memory database lives in one process: use --workers 1, "
            "or a file (sqlite:///FILE) or PostgreSQL for several workers"
        )
    if settings.emulator and settings.workers > 1:
        raise ValueError(
            "the emulator keeps its journal, fault rules and clock in one process: "
            "use --workers 1 with --emulator"
        )
    if (settings.seed or settings.admin_token) and not settings.emulator:
        raise ValueError("--seed and --admin-token go with --emulator")
    # A short bootstrap key is a local-development convenience (the README's dev-token):
    # fine on a loopback interface, refused where other machines can try keys.
    _check_token(
        args.bootstrap_token,
        allowed=args.allow_short_token or memory or settings.host in LOOPBACK_HOSTS,
        flag="--bootstrap-token",
        why=f" when serving on {settings.host}",
    )
    store = _open_migrated(settings.db, settings.durability)
    try:
        durability = store.durability_note()
        services = Services(store)
        if services.user_count() == 0:
            user, token = services.add_user(args.bootstrap_email, token=args.bootstrap_token)
            print(f"created the first user: {user.email}", flush=True)
            print(f"its API key (X-PW-AccessToken): {token}", flush=True)
    finally:
        if not memory:
            store.close()
    # Workers are separate processes: hand them the settings through the environment.
    for key, value in vars(settings).items():
        if value is not None:
            os.environ[f"VERDIGRIS_{key.upper()}"] = str(value)
    log.info(
        "serving %s on http://%s:%d/developer_api/v1 with %d worker(s); rate limits %s",
        display_url(settings.db),
        settings.host,
        settings.port,
        settings.workers,
        "on" if settings.rate_limits else "off",
    )
    if not settings.rate_limits:  # not Copper's behaviour: say so even at --log-level warning
        log.warning("rate limits off: requests are not limited as Copper limits them")
    # a note that does not start with the mode asked for (PostgreSQL's own setting
    # overruling it) is a warning
    level = logging.INFO if durability.startswith(store.durability) else logging.WARNING
    log.log(level, "durability: %s", durability)
    if memory:  # serve the very store just seeded, in this process
        from verdigris.server.app import create_app, freeze_startup_objects

        try:
            app = create_app(settings, store=store)
            freeze_startup_objects()
            uvicorn.run(
                app,
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level,
                access_log=False,
            )
        finally:
            store.close()
        return 0
    if settings.workers > 1:
        from verdigris.cli import workers  # multiprocessing and ctypes: only for --workers N

        if workers.supported():
            # a listening socket per worker, so that connections spread over them (workers.py)
            return workers.serve(settings.workers, settings.host, settings.port, settings.log_level)
    uvicorn.run(
        "verdigris.server.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
    )
    return 0


def _user_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _check_token(
        args.token,
        allowed=args.allow_short_token or is_memory_url(settings.db),
        flag="--token",
        why="",
    )
    with _open_migrated(settings.db) as store:
        user, token = Services(store).add_user(
            args.email, account=args.account, name=args.name, token=args.token
        )
    print(token)
    print(f"user {user.email} (id {user.id}) in account {args.account!r}", file=sys.stderr)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _open_migrated(settings.db).close()
    print(f"{display_url(settings.db)}: schema is up to date", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    serving = bool(argv) and argv[0] in SERVER_COMMANDS
    args = build_parser(serving=serving).parse_args(argv)
    configure_logging(os.environ.get("VERDIGRIS_LOG_LEVEL", "info"))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": _serve,
        "user": _user_add,
        "db": _db_upgrade,
        "leads": _run_leads,
        "webhooks": _run_webhooks,
    }
    missing = _missing_extra(args.command)
    if missing is not None:
        print(f"verdigris: error: {missing}", file=sys.stderr)
        return 1
    try:
        return handlers[args.command](args)
    except _reported_errors(args.command) as exc:
        print(f"verdigris: error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top not in EXTRA_OF:
            raise
        print(
            f"verdigris: error: {top} is not installed; "
            f"install it with: pip install 'verdigris[{EXTRA_OF[top]}]'",
            file=sys.stderr,
        )
        return 1
