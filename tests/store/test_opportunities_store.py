"""``tx.opportunities`` (issue 21) on every engine, and migration 0011 on data made before it."""

from __future__ import annotations

import sqlalchemy as sa

from tests.store.test_ids_never_reused import upgrade_to_just_before_0008
from tests.store.test_search_store import empty_url  # noqa: F401 (a fixture)
from verdigris.domain.crm import Opportunity
from verdigris.domain.opportunities import OpportunityQuery
from verdigris.domain.search import TagFilter
from verdigris.services import Services
from verdigris.store import open_store
from verdigris.store import schema as t
from verdigris.store.base import Store
from verdigris.store.sql import SqlStore


def _opportunity(account_id: int, **fields: object) -> Opportunity:
    base: dict[str, object] = {
        "account_id": account_id,
        "name": "Deal",
        "pipeline_id": 1,
        "pipeline_stage_id": 1,
        "date_created": 10,
        "date_modified": 10,
    }
    return Opportunity(**{**base, **fields})  # type: ignore[arg-type]


def test_insert_update_and_search_keys(store: Store, services: Services) -> None:
    user, _ = services.add_user("opp-store@example.com", account="OppStore")
    account = user.account_id
    with store.transaction(write=True) as tx:
        made = tx.opportunities.insert(
            _opportunity(account, name=" Big Deal ", tags=["Hot", "vip"], close_date="1/2/2027")
        )
        other = tx.opportunities.insert(_opportunity(account, name="Other", tags=[]))
    with store.transaction(write=False) as tx:
        found = tx.opportunities.get_for_update(account, made.id)
        assert found == made
        assert tx.opportunities.search(account, OpportunityQuery(name="big deal")) == (1, [made])
        hot = OpportunityQuery(tags=TagFilter(("hot",)))
        assert tx.opportunities.search(account, hot)[1] == [made]
        none = OpportunityQuery(tags=TagFilter((), empty=True))
        assert tx.opportunities.search(account, none)[1] == [other]
        assert tx.opportunities.search(account + 1000, OpportunityQuery()) == (0, [])
    changed = Opportunity(
        **{**{f: getattr(made, f) for f in made.__struct_fields__}, "tags": ["cold"]}
    )
    with store.transaction(write=True) as tx:
        tx.opportunities.update(changed)
    with store.transaction(write=False) as tx:
        assert tx.opportunities.search(account, hot) == (0, [])
        cold = OpportunityQuery(tags=TagFilter(("cold",)))
        assert tx.opportunities.search(account, cold)[1] == [changed]
    with store.transaction(write=True) as tx:  # deleting takes its tags with it
        assert tx.crm.delete_opportunity(account, made.id)
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        tg = t.opportunity_tags.c
        left = conn.execute(sa.select(sa.func.count()).where(tg.opportunity_id == made.id))
        assert left.scalar_one() == 0


def test_migration_0011_seeds_and_fills_existing_data(empty_url: str) -> None:  # noqa: F811
    store = open_store(empty_url)
    assert isinstance(store, SqlStore)
    try:
        upgrade_to_just_before_0008(store)  # SQLite's 0008 then runs with foreign keys off
        with store.engine.begin() as conn:
            account = conn.execute(
                t.accounts.insert().values(name="Old", date_created=0).returning(t.accounts.c.id)
            ).scalar_one()
            conn.exec_driver_sql(
                "INSERT INTO opportunities (account_id, name, pipeline_id, pipeline_stage_id, "
                "status, tags, interaction_count, win_probability, leads_converted_from, "
                "date_created, date_modified, custom_fields, close_date) VALUES "
                f"({account}, ' Old Deal ', 1, 1, 'Open', '[\"A\", \"b\"]', 0, 5, '[]', 0, 0, "
                "'{\"7\": 3}', '3/4/2026')"
            )
        store.migrate()
        with store.engine.connect() as conn:
            reasons = conn.execute(
                sa.select(t.loss_reasons.c.name).where(t.loss_reasons.c.account_id == account)
            )
            assert reasons.scalars().all() == ["Price", "Features", "Competitor"]
            o = t.opportunities.c
            assert conn.execute(sa.select(o.name_key, o.close_key)).one() == (
                "old deal",
                1_772_582_400,
            )
            tags = conn.execute(sa.select(t.opportunity_tags.c.tag).order_by("tag"))
            assert tags.scalars().all() == ["a", "b"]
            cv = t.opportunity_custom_values.c
            got = conn.execute(sa.select(cv.definition_id, cv.value_key, cv.value_num)).all()
            assert [tuple(r) for r in got] == [(7, "3", 3.0)]
    finally:
        store.close()
