"""The account's lead statuses, customer sources and users, read once from the server, so
that cells naming them (``Lead Status``, ``Lead Source``, ``Lead Owner``) become ids, and a
name the account does not have rejects the row with a reason, in a real run and in a dry
run alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from verdigris.cli.presets import Preset, header_key
from verdigris.cli.rows import RowError
from verdigris.client import AsyncClient, NotFoundError
from verdigris.client.models import SourceOut, StatusOut, UserOut


@dataclass
class Lookups:
    statuses: list[StatusOut] = field(default_factory=list)
    sources: list[SourceOut] = field(default_factory=list)
    users: list[UserOut] | None = None

    @classmethod
    async def fetch(cls, client: AsyncClient, wanted: Iterable[str]) -> Lookups:
        """GET /lead_statuses, /customer_sources and /users, those the columns need."""
        wanted = set(wanted)
        found = cls()
        if "status" in wanted:
            found.statuses = await client.lead_statuses()
        if "source" in wanted:
            found.sources = await client.customer_sources()
        if "owner" in wanted:
            try:
                found.users = await client.users()
            except NotFoundError:
                found.users = None  # the server does not list users
        return found

    def status_id(self, text: str, preset: Preset) -> int:
        """The id of the status a cell names: the account's own status of that name, else
        the Copper statuses the other CRM's status stands for (``--from``)."""
        ident = _by_name(self.statuses, text, preset.statuses.get(header_key(text), ()))
        if ident is None:
            names = ", ".join(s.name for s in self.statuses)
            raise RowError(f"lead status {text!r} is not in this account (statuses: {names})")
        return ident

    def source_id(self, text: str, preset: Preset) -> int:
        ident = _by_name(self.sources, text, preset.sources.get(header_key(text), ()))
        if ident is None:
            names = ", ".join(s.name for s in self.sources)
            raise RowError(f"customer source {text!r} is not in this account (sources: {names})")
        return ident

    def user_id(self, text: str) -> int:
        """A user by email (any letter case) or by name (letters and digits compared)."""
        if self.users is None:
            raise RowError(f"owner {text!r}: the server does not list its users")
        wanted = text.strip().lower()
        by_email = [u.id for u in self.users if u.email.strip().lower() == wanted]
        by_name = [u.id for u in self.users if header_key(u.name) == header_key(text)]
        found = by_email or by_name
        if len(found) == 1:
            return found[0]
        if found:
            raise RowError(f"owner {text!r} names {len(found)} users; give the user's email")
        raise RowError(f"owner {text!r} is not a user of this account (by email or name)")


def _by_name(items: Iterable[StatusOut | SourceOut], text: str, also: Iterable[str]) -> int | None:
    ids = {header_key(item.name): item.id for item in items}
    for name in (text, *also):
        if (ident := ids.get(header_key(name))) is not None:
            return ident
    return None
