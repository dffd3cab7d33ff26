"""The pytest plugin (entry point ``pytest11``: ``verdigris``): the ``copper`` fixture.

One emulator starts on first use in a test run and stops at its end; each test that
asks for ``copper`` gets it reset to its seeded state first. Settings (pytest.ini,
``[tool.pytest.ini_options]``): ``copper_seed`` (a fixture file seeded at start, kept
across resets) and ``copper_rate_limits`` (default true: Copper's limits, counters
cleared by each reset).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verdigris.testing.emulator import CopperEmulator, EmulatorServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("copper_seed", "fixture file the copper emulator is seeded with", default="")
    parser.addini(
        "copper_rate_limits",
        "Copper's rate limits in the copper emulator",
        type="bool",
        default=True,
    )


@pytest.fixture(scope="session")
def copper_session(request: pytest.FixtureRequest) -> Iterator[CopperEmulator]:
    """The run's emulator (started once), not reset: prefer ``copper``."""
    seed = str(request.config.getini("copper_seed") or "") or None
    if seed is not None:
        seed = str(request.config.rootpath / seed)
    server = EmulatorServer(
        seed=seed, rate_limits=bool(request.config.getini("copper_rate_limits"))
    )
    server.start()
    emulator = CopperEmulator(server)
    try:
        yield emulator
    finally:
        emulator.close()
        server.stop()


@pytest.fixture
def copper(copper_session: CopperEmulator) -> CopperEmulator:
    """A Copper emulator reset to its seeded state: ``base_url``, ``token``, ``email``,
    ``client`` (the SDK) and the controls (``seed``, ``fault``, ``journal``, ``freeze``...)."""
    copper_session.reset()
    return copper_session
