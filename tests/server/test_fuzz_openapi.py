"""Fuzzing the served ``/openapi.json`` (issue 14): schemathesis generates requests from
the document, valid and invalid ones, and sends them with valid credentials to the
app in process, over a real database. No answer may be a 5xx.

SQLite gets over 2,000 requests, PostgreSQL over 700 (``BUDGET``). Deterministic
(``derandomize``, no example database), so CI sees the same requests
on every run. Rate limits are off (``Settings(rate_limits=False)``, the ``client``
fixture's settings) so that no request turns into a 429.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from starlette.testclient import TestClient

from tests.conftest import Api
from tests.helpers import add_definition
from verdigris.store.base import Store

#: generated requests per engine, shared out over the operations and both modes (at least
#: ``MIN_EXAMPLES`` each), and the least total: generating a request costs ~20 ms of CPU, so
#: PostgreSQL, which runs the same code over another engine, gets a third of SQLite's share.
#: A budget, not a count per operation: the API grew from ~30 operations to over 100, and
#: the run must stay within its time limit
BUDGET = {"sqlite": 2200, "postgres": 760}
MIN_EXAMPLES = 4
MIN_REQUESTS = {"sqlite": 2000, "postgres": 700}
MAX_FAILURES = 20


def _seed(api: Api, store: Store) -> None:
    """Leads and custom field definitions for the generated ids to land on."""
    account = api.principal.account_id
    option = [{"id": 1, "name": "a", "rank": 0}]
    for kind in ("Float", "Dropdown", "MultiSelect", "Date", "Checkbox", "String"):
        options = option if kind in ("Dropdown", "MultiSelect") else None
        add_definition(store, account, f"F {kind}", kind, options=options)
    for i in range(3):
        api.create_lead(name=f"Lead {i}", email={"email": f"l{i}@example.com", "category": "work"})


@pytest.mark.slow  # minutes of generated requests
def test_generated_requests_get_no_5xx(client: TestClient, api: Api, store: Store) -> None:
    _seed(api, store)
    engine = "sqlite" if store.url.startswith("sqlite") else "postgres"
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    def send(case: Any) -> None:
        # on the case itself: negative cases would otherwise drop the credentials
        case.headers = {**(case.headers or {}), **api.headers}
        response = case.call()
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{response.status_code} {case.method} {case.formatted_path} "
                f"query={case.query!r} body={case.body!r}"[:600]
            )
            # enough to go on; stop before a broken build spends minutes logging tracebacks
            assert len(failures) < MAX_FAILURES, "\n".join(failures)

    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 25
    examples = max(MIN_EXAMPLES, BUDGET[engine] // (2 * len(operations)))
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy(generation_mode=mode))(send))
            run()
    total = sum(statuses.values())
    assert not failures, "\n".join(failures[:20])
    assert total >= MIN_REQUESTS[engine], f"only {total} requests: {dict(statuses)}"
    assert statuses[429] == 0
