"""Testing helpers for projects that integrate with Copper: the ``copper`` pytest fixture.

``pip install 'verdigris[server]'`` registers the plugin (:mod:`verdigris.testing.plugin`,
a ``pytest11`` entry point); a test asks for ``copper`` and gets an emulator already
running on 127.0.0.1, reset to its seeded state before the test::

    def test_sync(copper):
        my_app.sync(base_url=copper.base_url, token=copper.token, email=copper.email)
        assert copper.client.search_leads(...)  # the SDK, bound to the test account
"""

from __future__ import annotations

from verdigris.testing.emulator import CopperEmulator, EmulatorServer

__all__ = ["CopperEmulator", "EmulatorServer"]
