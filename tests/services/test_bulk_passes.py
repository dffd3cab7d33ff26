"""bulk_update runs its items together in one savepoint, and each in a savepoint of its
own only when one fails (LeadServices._bulk): the answers, what is written and what the
observers hear are those of items run one by one."""

from __future__ import annotations

from typing import Any

import pytest

from verdigris.services import Principal, Services
from verdigris.services.base import ItemFailure, Shown
from verdigris.services.changes import Change
from verdigris.store.base import StoreTx


def _who(services: Services, email: str) -> Principal:
    user, _token = services.add_user(email, account=email)
    return Principal(user.id, user.account_id, user.email)


def _observed(services: Services) -> list[tuple[str, int, str | None]]:
    seen: list[tuple[str, int, str | None]] = []

    def note(tx: StoreTx, change: Change) -> None:
        after = change.after
        seen.append((change.event, change.record_id, getattr(after, "title", None)))

    services.observe(note)
    return seen


def _count_savepoints(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    from verdigris.store.sql import SqlTx

    count = {"n": 0}
    real = SqlTx.savepoint

    def counted(self: SqlTx) -> Any:
        count["n"] += 1
        return real(self)

    monkeypatch.setattr(SqlTx, "savepoint", counted)
    return count


def test_bulk_update_items_each_seen_once_in_order(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = _who(services, "bulkpass@example.com")
    ids = [services.create_lead(who, {"name": f"L{i}"}).lead.id for i in range(3)]
    seen = _observed(services)
    savepoints = _count_savepoints(monkeypatch)
    body = {"leads": [{"id": ids[2], "title": "c"}, {"id": ids[0], "title": "a"}]}
    results = services.bulk_update(who, body)
    assert [r.lead.title for r in results if isinstance(r, Shown)] == ["c", "a"]
    assert seen == [("update", ids[2], "c"), ("update", ids[0], "a")]
    assert savepoints["n"] == 1  # together


@pytest.mark.parametrize(
    ("failing", "savepoints_sent"),
    [
        ({"name": ""}, 1 + 4),  # found invalid while running: the first pass, then per item
        ({"id": 10**9}, 4),  # not found by the read ahead: per item from the start
    ],
)
def test_a_failing_item_is_not_seen_and_the_others_are_kept(
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    failing: dict[str, Any],
    savepoints_sent: int,
) -> None:
    who = _who(services, "bulkfail@example.com")
    ids = [services.create_lead(who, {"name": f"L{i}"}).lead.id for i in range(2)]
    seen = _observed(services)
    savepoints = _count_savepoints(monkeypatch)
    body = {
        "leads": [
            {"id": ids[0], "title": "first"},
            {"id": ids[1], "title": "nobody", **failing},
            {"id": ids[1], "title": "second"},
            {"id": ids[0], "title": "first again"},  # the same lead twice: reads the first
        ]
    }
    results = services.bulk_update(who, body)
    assert savepoints["n"] == savepoints_sent
    assert isinstance(results[1], ItemFailure)
    titles = [r.lead.title for r in results if isinstance(r, Shown)]
    assert titles == ["first", "second", "first again"]
    assert seen == [
        ("update", ids[0], "first"),
        ("update", ids[1], "second"),
        ("update", ids[0], "first again"),
    ]
    assert services.get_lead(who, ids[0]).lead.title == "first again"
    assert services.get_lead(who, ids[1]).lead.title == "second"
