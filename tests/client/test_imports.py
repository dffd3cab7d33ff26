"""The SDK stands alone: importing it loads the wire structs and nothing of the server."""

from __future__ import annotations

import subprocess
import sys

SHOW = (
    "import sys, verdigris.client; "
    "print(' '.join(sorted(m for m in sys.modules if m.startswith(('verdigris', "
    "'starlette', 'sqlalchemy', 'alembic', 'uvicorn', 'psycopg', 'redis', 'limits')))))"
)


def test_sdk_loads_only_client_and_wire() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SHOW], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(done.stdout.split())
    allowed = {"verdigris", "verdigris.client", "verdigris.wire"}
    outside = {
        m
        for m in loaded
        if m not in allowed and not m.startswith(("verdigris.client.", "verdigris.wire."))
    }
    assert outside == set()
    assert {"verdigris.client.models", "verdigris.wire.leads"} <= loaded


def test_wire_is_a_leaf() -> None:
    """``verdigris.wire`` imports nothing of verdigris but itself."""
    show = (
        "import sys, verdigris.wire; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('verdigris'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", show], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(done.stdout.split())
    assert {m for m in loaded if m != "verdigris" and not m.startswith("verdigris.wire")} == set()
