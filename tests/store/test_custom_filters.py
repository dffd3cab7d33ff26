"""Custom field search filters as SQL, on both engines, over leads written by the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from verdigris.domain.custom_field_filters import parse_custom_filters
from verdigris.services import Principal, Services
from verdigris.store import schema as t
from verdigris.store.custom_fields_sql import custom_conditions
from verdigris.store.sql import SqlStore


@dataclass
class World:
    services: Services
    who: Principal
    fields: dict[str, Any]
    leads: dict[str, int]

    def find(self, *filters: dict[str, Any]) -> set[str]:
        definitions = {d.id: d for d in self.services.custom_field_definitions(self.who)}
        parsed = parse_custom_filters(list(filters), definitions)
        store = self.services.store
        assert isinstance(store, SqlStore)
        c = t.leads.c
        stmt = sa.select(c.id).where(
            c.account_id == self.who.account_id,
            *custom_conditions(c.id, self.who.account_id, parsed),
        )
        with store.engine.connect() as conn:
            ids = set(conn.execute(stmt).scalars())
        return {name for name, i in self.leads.items() if i in ids}

    def opt(self, data_type: str, n: int) -> int:
        return int(self.fields[data_type].options[n].id)


@pytest.fixture
def world(services: Services) -> World:
    user, _ = services.add_user("filters@example.com")
    other, _ = services.add_user("other@example.org", account="Other")
    who = Principal(user.id, user.account_id, user.email)
    fields: dict[str, Any] = {}
    for kind in ("Dropdown", "MultiSelect", "Checkbox", "Date", "Float", "Percentage", "Currency"):
        body: dict[str, Any] = {
            "name": kind, "data_type": kind, "available_on": ["lead"], "is_filterable": True,
        }  # fmt: skip
        if kind in ("Dropdown", "MultiSelect"):
            body["options"] = [{"name": n} for n in ("A", "B", "C")]
        if kind == "Currency":
            body["currency"] = "USD"
        fields[kind] = services.create_custom_field_definition(who, body)

    def o(kind: str, n: int) -> int:
        return int(fields[kind].options[n].id)

    ms = [o("MultiSelect", n) for n in range(3)]
    rows: dict[str, dict[str, Any]] = {
        "ab": {"Dropdown": o("Dropdown", 0), "MultiSelect": ms[:2], "Checkbox": True, "Date": 1_000,
               "Float": 1.5, "Percentage": 10, "Currency": 100},
        "b": {"Dropdown": o("Dropdown", 1), "MultiSelect": [ms[1]],
              "Checkbox": False, "Date": 2_000, "Float": 2.5, "Percentage": 20, "Currency": 200},
        "c": {"MultiSelect": [ms[2]], "Date": 3_000, "Float": -1},
        "none": {},
    }  # fmt: skip
    leads = {}
    for name, values in rows.items():
        cf = [{"custom_field_definition_id": fields[k].id, "value": v} for k, v in values.items()]
        leads[name] = services.create_lead(who, {"name": name, "custom_fields": cf}).lead.id
    # another account's lead with the same shape never shows up
    other_who = Principal(other.id, other.account_id, other.email)
    services.create_lead(other_who, {"name": "elsewhere"})
    return World(services, who, fields, leads)


def _id(world: World, kind: str) -> int:
    return int(world.fields[kind].id)


def test_dropdown(world: World) -> None:
    d = _id(world, "Dropdown")
    a, b = world.opt("Dropdown", 0), world.opt("Dropdown", 1)
    assert world.find({"custom_field_definition_id": d, "value": [a]}) == {"ab"}
    assert world.find({"custom_field_definition_id": d, "value": [a, b]}) == {"ab", "b"}
    assert world.find({"custom_field_definition_id": d, "value": [b], "allow_empty": True}) == {
        "b",
        "c",
        "none",
    }
    assert world.find({"custom_field_definition_id": d, "allow_empty": True}) == {"c", "none"}
    assert world.find({"custom_field_definition_id": d, "value": []}) == set(world.leads)


def test_multiselect_any_all_none(world: World) -> None:
    m = _id(world, "MultiSelect")
    a, b, c = (world.opt("MultiSelect", n) for n in range(3))
    assert world.find({"custom_field_definition_id": m, "value": [a, c]}) == {"ab", "c"}
    assert world.find({"custom_field_definition_id": m, "value": [a, c], "option": "ANY"}) == {
        "ab",
        "c",
    }
    assert world.find({"custom_field_definition_id": m, "value": [a, b], "option": "ALL"}) == {"ab"}
    assert world.find({"custom_field_definition_id": m, "value": [b], "option": "NONE"}) == {
        "c",
        "none",
    }
    assert world.find(
        {"custom_field_definition_id": m, "value": [c], "option": "ALL", "allow_empty": True}
    ) == {"c", "none"}
    assert world.find({"custom_field_definition_id": m, "allow_empty": True}) == {"none"}


def test_checkbox(world: World) -> None:
    box = _id(world, "Checkbox")
    assert world.find({"custom_field_definition_id": box, "value": True}) == {"ab"}
    assert world.find({"custom_field_definition_id": box, "value": False}) == {"b", "c", "none"}


@pytest.mark.parametrize(
    ("kind", "bounds", "found"),
    [
        ("Date", {"minimum_value": 2_000}, {"b", "c"}),
        ("Date", {"minimum_value": 1_500, "maximum_value": 2_500}, {"b"}),
        ("Date", {"maximum_value": "2000"}, {"ab", "b"}),
        ("Float", {"maximum_value": 0}, {"c"}),
        ("Float", {"value": 2.5}, {"b"}),
        ("Float", {"minimum_value": 1.5, "maximum_value": 2.5}, {"ab", "b"}),
        ("Percentage", {"minimum_value": 15}, {"b"}),
        ("Currency", {"minimum_value": 100, "maximum_value": 100}, {"ab"}),
    ],
)
def test_ranges(world: World, kind: str, bounds: dict[str, Any], found: set[str]) -> None:
    assert world.find({"custom_field_definition_id": _id(world, kind), **bounds}) == found


def test_filters_combine_with_and(world: World) -> None:
    assert world.find(
        {"custom_field_definition_id": _id(world, "Checkbox"), "value": False},
        {"custom_field_definition_id": _id(world, "Float"), "minimum_value": 0},
    ) == {"b"}


def _plan(store: SqlStore, stmt: sa.Select[Any]) -> str:
    with store.engine.connect() as conn:
        sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
            return " ".join(str(r[-1]) for r in rows)
        return " ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql).all())


@pytest.mark.slow
def test_filters_seek_the_value_indexes(store: SqlStore) -> None:
    """On a populated, analyzed table the filters read the value index, not the leads."""
    from verdigris.domain.custom_field_filters import CustomFilter
    from verdigris.domain.leads import Lead
    from verdigris.store.lead_rows import lead_row

    services = Services(store)
    user, _ = services.add_user("plans@example.com")
    account = user.account_id
    with store.engine.begin() as conn:
        ids = (
            conn.execute(
                t.leads.insert().returning(t.leads.c.id),
                [lead_row(Lead(account_id=account, name=f"L{i}")) for i in range(3000)],
            )
            .scalars()
            .all()
        )
        conn.execute(
            t.lead_custom_values.insert(),
            [
                {
                    "lead_id": i,
                    "account_id": account,
                    "definition_id": d,
                    "value_key": k,
                    "value_num": n,
                }
                for n, i in enumerate(ids)
                for d, k in ((1, str(n % 50)), (2, str(n)))
            ],
        )
        conn.exec_driver_sql("ANALYZE")
    c = t.leads.c
    for f, index in (
        (CustomFilter(1, "options", keys=("7",)), "ix_lead_custom_values_match"),
        (CustomFilter(2, "range", low=10, high=20), "ix_lead_custom_values_num"),
    ):
        stmt = sa.select(c.id).where(
            c.account_id == account, *custom_conditions(c.id, account, (f,))
        )
        assert index in _plan(store, stmt)
