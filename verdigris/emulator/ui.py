"""The inspector: ``GET /verdigris/ui``, one server-rendered page and a small script.

The page carries no data and no credentials: the script asks for them (the admin token,
or an account's email and Copper key), keeps them in the tab's ``sessionStorage`` and
sends them as headers to the same controls any client calls, so the inspector sees
exactly what those credentials may see. Views: the journal (polled every second), an
account's leads with a search, the active fault rules, the clock, and webhook
deliveries (the inbox, with a button to send one again).
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from verdigris import __version__
from verdigris.emulator.core import Emulator

VIEWS = ("journal", "leads", "faults", "clock", "webhooks")

#: the page: HTML, CSS and the script, no build step ({version}, {nav}, {views} filled in)
PAGE = Path(__file__).with_name("inspector.html")


def page() -> str:
    nav = "".join(
        f'<button id="tab-{v}" role="tab" aria-selected="false">{html.escape(v.title())}</button>'
        for v in VIEWS
    )
    views = "[" + ",".join(f'"{v}"' for v in VIEWS) + "]"
    return (
        PAGE.read_text(encoding="utf-8")
        .replace("{version}", html.escape(__version__))
        .replace("{nav}", nav)
        .replace("{views}", views)
    )


def routes(emulator: Emulator) -> list[Route]:
    body = page()

    async def inspector(request: Request) -> HTMLResponse:
        return HTMLResponse(
            body,
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                "style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return [Route("/verdigris/ui", inspector, methods=["GET"])]
