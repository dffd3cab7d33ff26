"""``verdigris webhooks deliveries`` and ``verdigris webhooks replay``: the delivery inbox
of a verdigris server, through its API (the SDK), like ``verdigris leads``."""

from __future__ import annotations

import argparse
import json
from typing import Any

import anyio
import msgspec

from verdigris.cli import WEBHOOKS_HELP
from verdigris.cli.leads import _connection_flags, make_client


def add_parser(sub: Any) -> None:
    hooks = sub.add_parser("webhooks", help=WEBHOOKS_HELP)
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    listing = hooks_sub.add_parser(
        "deliveries",
        help="list delivery attempts, newest first",
        description="Every attempt to deliver a notification (request, status, time, error), "
        "newest first, one JSON object a line; --body adds each request's body.",
    )
    listing.add_argument("--subscription", type=int, metavar="ID", help="one subscription's")
    listing.add_argument("--delivery", metavar="ID", help="the attempts of one delivery id")
    listing.add_argument("--before", type=int, metavar="ID", help="attempts older than this one")
    listing.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N (1-200, default 50)"
    )
    listing.add_argument("--body", action="store_true", help="include request headers and body")
    _connection_flags(listing)
    replay = hooks_sub.add_parser(
        "replay",
        help="send recorded attempts again",
        description="Queue each attempt's request to be sent again, as it was, to its "
        "subscription's target; the new attempts show up in `verdigris webhooks deliveries`.",
    )
    replay.add_argument("ids", nargs="+", type=int, metavar="ATTEMPT", help="attempt ids")
    _connection_flags(replay)


def run(args: argparse.Namespace) -> int:
    return int(anyio.run(_run, args))


async def _run(args: argparse.Namespace) -> int:
    async with make_client(args, 1) as client:
        if args.webhooks_command == "deliveries":
            attempts = await client.webhook_deliveries(
                subscription_id=args.subscription,
                delivery_id=args.delivery,
                before_id=args.before,
                page_size=args.limit,
            )
            for attempt in attempts:
                shown = msgspec.to_builtins(attempt)
                if not args.body:
                    del shown["request_headers"], shown["request_body"]
                print(json.dumps(shown))
            return 0
        for attempt_id in args.ids:
            queued = await client.replay_webhook_delivery(attempt_id)
            print(f"attempt {queued.replay_of}: replay queued")
        return 0
