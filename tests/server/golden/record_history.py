"""The history scenario of people, companies and opportunities (issue 21): for each kind,
versions (paged, one, missing), a diff (and one without ``to``), a restore of a version,
the deleted list, a restore of a deleted record and of one that exists (422)."""

from __future__ import annotations

from tests.server.golden import Step

V = "/verdigris/v1"


def _kind(plural: str, first: object, second: object, update: object) -> list[Step]:
    """Steps for one kind; its records get ids 1 (``first``) and 2 (``second``)."""
    return [
        ("POST", f"/{plural}", first),  # record 1, version 1
        ("PUT", f"/{plural}/1", update),  # version 2
        ("GET", f"{V}/{plural}/1/versions", None),
        ("GET", f"{V}/{plural}/1/versions?before=2&limit=1", None),
        ("GET", f"{V}/{plural}/1/versions?limit=0", None),
        ("GET", f"{V}/{plural}/1/versions/2", None),
        ("GET", f"{V}/{plural}/1/versions/9", None),
        ("GET", f"{V}/{plural}/1/diff?from=1&to=2", None),
        ("GET", f"{V}/{plural}/1/diff?from=1", None),
        ("POST", f"{V}/{plural}/1/versions/1/restore", None),  # version 3
        ("GET", f"/{plural}/1", None),
        ("POST", f"/{plural}", second),  # record 2
        ("DELETE", f"/{plural}/2", None),
        ("GET", f"{V}/{plural}/deleted", None),
        ("POST", f"{V}/{plural}/1/restore", None),  # not deleted: 422
        ("POST", f"{V}/{plural}/2/restore", None),
        ("GET", f"/{plural}/2", None),
        ("GET", f"{V}/{plural}/deleted", None),
        ("POST", f"{V}/{plural}/99/restore", None),
        ("GET", f"{V}/{plural}/1/versions?limit=1", None),
    ]


def steps() -> list[Step]:
    ada = {
        "name": "Ada Lovelace",
        "emails": [{"email": "ada@example.com", "category": "work"}],
        "title": "Countess",
        "tags": ["vip"],
    }
    engines = {
        "name": "Analytical Engines",
        "email_domain": "engines.test",
        "details": "Babbage's",
        "tags": ["hardware"],
    }
    # people 1 and 2 first (person 1 is the opportunities' contact), then companies 1
    # and 2, then opportunities 1 and 2
    deal = {"name": "Big deal", "primary_contact_id": 1, "monetary_value": 1500}
    return [
        *_kind("people", ada, {"name": "Grace Hopper"}, {"title": "Programmer"}),
        *_kind("companies", engines, {"name": "Sabre"}, {"details": "An update", "tags": []}),
        *_kind(
            "opportunities",
            deal,
            {"name": "Small deal", "primary_contact_id": 1},
            {"monetary_value": 9, "details": "x"},
        ),
    ]
