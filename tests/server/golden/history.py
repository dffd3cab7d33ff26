"""The lead history scenario (issue 19): versions, one version, a diff, restores of a
version and of a deleted lead, the deleted list, a dry run of each dry-run route, an
import run's revert (no such run), and bad parameters."""

from __future__ import annotations

from tests.server.golden import Step

V = "/verdigris/v1"


def steps() -> list[Step]:
    ada = {
        "name": "Ada Lovelace",
        "email": {"email": "ada@example.com", "category": "work"},
        "title": "Countess",
        "tags": ["vip"],
        "monetary_value": 1500,
    }
    upsert = {
        "properties": {"title": "Programmer", "tags": ["engines"]},
        "match": {"field_name": "email", "field_value": "ada@example.com"},
    }
    return [
        ("POST", "/leads", ada),  # lead 1, version 1
        ("PUT", "/leads/upsert", upsert),  # version 2
        ("PUT", "/leads/1", {"status": "Contacted"}),  # version 3
        ("GET", f"{V}/leads/1/versions", None),
        ("GET", f"{V}/leads/1/versions?before=3&limit=1", None),
        ("GET", f"{V}/leads/1/versions?limit=0", None),
        ("GET", f"{V}/leads/1/versions/2", None),
        ("GET", f"{V}/leads/1/versions/9", None),
        ("GET", f"{V}/leads/1/diff?from=1&to=3", None),
        ("GET", f"{V}/leads/1/diff?from=1", None),
        ("POST", f"{V}/leads/1/versions/1/restore", None),  # version 4
        ("GET", "/leads/1", None),
        # dry runs: the answer, nothing written (those that insert come last: PostgreSQL's
        # sequences hand out ids even to rolled back inserts, SQLite's do not)
        ("PUT", "/leads/upsert?dry_run=true", upsert),
        ("PUT", "/leads/1?dry_run=true", {"title": "Dry"}),
        ("POST", "/leads/bulk_update?dry_run=true", {"leads": [{"id": 1, "title": "B"}]}),
        ("GET", f"{V}/leads/1/versions?limit=1", None),
        # delete and restore with the id
        ("POST", "/leads", {"name": "Grace Hopper"}),  # lead 2
        ("DELETE", "/leads/2", None),
        ("GET", f"{V}/leads/deleted", None),
        ("POST", f"{V}/leads/1/restore", None),  # not deleted: 422
        ("POST", f"{V}/leads/2/restore", None),
        ("GET", "/leads/2", None),
        ("GET", f"{V}/leads/deleted", None),
        ("POST", f"{V}/leads/99/restore", None),
        ("POST", f"{V}/imports/no-such-run/revert", None),
        ("POST", f"{V}/imports/no-such-run/revert?limit=500", None),
        ("POST", "/leads/bulk_create?dry_run=true", {"leads": [{"name": "B"}, {"name": ""}]}),
        ("POST", "/leads/1/convert?dry_run=true", {"details": {}}),
        ("GET", f"{V}/leads/1/versions?limit=1", None),
    ]
