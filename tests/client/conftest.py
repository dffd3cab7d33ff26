"""Fixtures: a live verdigris server in a thread (see tests/live.py)."""

from tests.live import live, live_factory, sdk

__all__ = ["live", "live_factory", "sdk"]
