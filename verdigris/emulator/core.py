"""The emulator of one server: its clock, journal, fault rules, snapshots and seed.

:func:`install` is what ``create_app`` calls when ``Settings.emulator`` is on: it seeds
the fixture, sets the reset point, and hands back the control routes and the
middleware. Nothing of this package is imported when the emulator is off.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from verdigris.cache import BoundedCache
from verdigris.clock import Clock
from verdigris.domain.errors import MalformedRequest, NotFound, Unauthenticated
from verdigris.emulator import data, seed
from verdigris.emulator.faults import Faults
from verdigris.emulator.journal import Journal
from verdigris.services import Principal
from verdigris.store.sql import SqlStore
from verdigris.wire import catalogue

if TYPE_CHECKING:
    from starlette.requests import Request

    from verdigris.server.app import Runtime

log = logging.getLogger("verdigris.emulator")
ADMIN_HEADER = "x-verdigris-admin-token"
#: snapshots kept per account (the oldest dropped past this)
MAX_SNAPSHOTS = 50


def bad(reason: str) -> MalformedRequest:
    return MalformedRequest(catalogue.EMULATOR_BAD_CONTROL_MESSAGE.format(reason=reason))


@dataclass(frozen=True)
class Caller:
    """Who called a control: the admin (every account), or one account's user."""

    admin: bool
    principal: Principal | None = None

    @property
    def account_id(self) -> int | None:
        """The only account this caller may touch (None: any)."""
        return None if self.admin or self.principal is None else self.principal.account_id

    def account(self, asked: Any) -> int | None:
        """The account a control is about: ``asked`` (admin), else the caller's own;
        another account's id is not found, as Copper answers another account's lead."""
        if asked is not None and (isinstance(asked, bool) or not isinstance(asked, int)):
            raise bad("account_id must be an integer")
        own = self.account_id
        if own is None:
            return asked if isinstance(asked, int) else None
        if asked is not None and asked != own:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        return own

    def need_admin(self) -> None:
        if not self.admin:
            raise Unauthenticated(catalogue.EMULATOR_ADMIN_ONLY_MESSAGE)


class Emulator:
    def __init__(self, rt: Runtime, clock: Clock) -> None:
        settings = rt.settings
        if not isinstance(rt.store, SqlStore):
            raise ValueError("the emulator needs a SQL store")
        self.rt = rt
        self.store: SqlStore = rt.store
        self.clock = clock
        self.admin_token = settings.admin_token or None
        self.journal = Journal(settings.journal_size, settings.journal_body_bytes)
        self.faults = Faults()
        #: snapshots by (account id, name)
        self.snapshots: dict[tuple[int, str], data.Snapshot] = {}
        #: each seeded account's state just after seeding, what its reset restores
        self.baselines: dict[int, data.Snapshot] = {}
        self.fixture: dict[str, Any] | None = None
        #: email -> account id, for fault rules naming an account
        self._accounts: BoundedCache[str, int | None] = BoundedCache(10_000)
        self.undo: data.UndoLog | None = None
        if self.store.engine.dialect.name == "sqlite" and not getattr(self.store, "memory", True):
            self.undo = data.UndoLog(self.store)

    # --- start ------------------------------------------------------------------------
    def start(self) -> None:
        """Seed the fixture (if any) and make this state the one resets go back to."""
        path = self.rt.settings.seed
        if path:
            self.fixture = seed.load(path)
            self._clear_named(self.fixture)  # a restart on the same database starts afresh
            done = seed.apply(self.rt.services, self.fixture)
            log.info(
                "seeded %d account(s), %d lead(s) from %s", len(done.accounts), done.leads, path
            )
            for problem in done.errors[:10]:
                log.warning("seed: %s", problem)
            for account in done.accounts:
                at = self.clock()
                self.baselines[account["id"]] = data.take_snapshot(
                    self.store, account["id"], "(seed)", at
                )
        if self.undo is not None:
            self.undo.checkpoint()

    def _clear_named(self, fixture: Mapping[str, Any]) -> None:
        names = {a.get("name") for a in fixture.get("accounts", []) if isinstance(a, dict)}
        with self.store.transaction(write=False) as tx:
            found = [tx.accounts.find(n) for n in names if isinstance(n, str)]
        for record in found:
            if record is not None:
                data.reset_account(self.store, record.id)

    def close(self) -> None:
        if self.undo is not None:
            self.undo.close()

    # --- who calls --------------------------------------------------------------------
    async def authorize(self, request: Request) -> Caller:
        if self.admin_token is not None:
            presented = request.headers.get(ADMIN_HEADER, "")
            if not hmac.compare_digest(presented.encode(), self.admin_token.encode()):
                raise Unauthenticated(catalogue.EMULATOR_ADMIN_TOKEN_MESSAGE)
            return Caller(admin=True)
        rt = self.rt
        token, email = rt.auth.credentials(request.headers)
        principal = rt.auth.cached(token, email) or await rt.run(rt.auth.authenticate, token, email)
        return Caller(admin=False, principal=principal)

    async def account_of(self, email: str) -> int | None:
        """The account of the user ``email`` names (fault rules match on it)."""
        key = email.strip().lower()
        if not key:
            return None
        if key in self._accounts:
            return self._accounts.get(key)

        def look_up() -> int | None:
            with self.store.transaction(write=False) as tx:
                user = tx.accounts.find_user(key)
            return user.account_id if user else None

        found: int | None = await self.rt.run(look_up)
        self._accounts.put(key, found)
        return found

    # --- state ------------------------------------------------------------------------
    def account_ids(self) -> list[int]:
        from verdigris.store import schema

        with self.store.engine.connect() as conn:
            return [
                r[0]
                for r in conn.execute(
                    schema.accounts.select()
                    .with_only_columns(schema.accounts.c.id)
                    .order_by(schema.accounts.c.id)
                )
            ]

    def _forget_caches(self) -> None:
        services = self.rt.services
        services.cache.statuses.clear()
        services.cache.fields.clear()
        self.rt.auth.forget()
        self._accounts.clear()

    def reset(self, account_id: int | None) -> dict[str, Any]:
        """Back to the seeded state: one account, or everything (None)."""
        if account_id is None:
            if self.undo is not None:
                undone = self.undo.rewind()
                how = "rewound"
            else:
                undone = sum(self._reset_account(a) for a in self.account_ids())
                how = "restored"
            self.journal.clear()
            self.faults.clear()
            self.snapshots.clear()
            self.clock.reset()
            self.rt.limits.clear_local()
            self._forget_caches()
            return {"reset": "all", "how": how, "rows": undone}
        if account_id not in self.account_ids():
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        rows = self._reset_account(account_id)
        self.journal.clear(account_id)
        self.faults.clear(account_id)
        self._forget_caches()
        return {"reset": account_id, "how": "restored", "rows": rows}

    def _reset_account(self, account_id: int) -> int:
        baseline = self.baselines.get(account_id)
        if baseline is not None:
            return data.restore_snapshot(self.store, baseline)
        return data.reset_account(self.store, account_id)

    def snapshot(self, account_id: int, name: str) -> data.Snapshot:
        snap = data.take_snapshot(self.store, account_id, name, self.clock())
        self.snapshots.pop((account_id, name), None)
        self.snapshots[(account_id, name)] = snap
        mine = [k for k in self.snapshots if k[0] == account_id]
        for key in mine[: max(0, len(mine) - MAX_SNAPSHOTS)]:
            del self.snapshots[key]
        return snap

    def restore(self, account_id: int, name: str) -> data.Snapshot:
        snap = self.snapshots.get((account_id, name))
        if snap is None:
            raise NotFound(catalogue.NOT_FOUND_MESSAGE)
        data.restore_snapshot(self.store, snap)
        self._forget_caches()
        return snap


def install(rt: Runtime) -> tuple[Emulator, list[Any]]:
    """The emulator of ``rt``, started, and its routes (controls and inspector)."""
    from verdigris.emulator import controls, ui

    emulator = Emulator(rt, rt.clock)
    emulator.start()
    return emulator, [*controls.routes(emulator), *ui.routes(emulator)]
