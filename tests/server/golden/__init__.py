"""The golden scenarios of each area beside the leads one (see tests/server/test_wire_golden.py).

Every module here defines ``steps() -> list[Step]``; its name names the scenario and its
golden file, ``tests/data/wire_golden_<name>.json``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

Step = tuple[str, str, Any]  # method, path under /developer_api/v1 (with query), body or None

SCENARIOS: dict[str, Callable[[], list[Step]]] = {
    info.name: importlib.import_module(f"{__name__}.{info.name}").steps
    for info in pkgutil.iter_modules(__path__)
}
