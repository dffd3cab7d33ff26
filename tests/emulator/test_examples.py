"""The sample user project (examples/crm-sync) passes its own tests, which use nothing
but the ``copper`` fixture: a lead made in one test is gone in the next."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crm-sync"


@pytest.mark.slow
def test_the_sample_project_passes_with_the_copper_fixture() -> None:
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
