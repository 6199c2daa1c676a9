"""The ``stream`` command: print live events of raw topics (and ``--record DIR`` their frames, as the
``record`` command writes them: :class:`bybit_ws.recording.Recorder` files)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from bybit_ws._cli._console import Printer, status, subscribe_all, usage, wait_until_done
from bybit_ws._cli._topics import TopicPlan, UsageError, endpoint_urls, plan_topics
from bybit_ws._errors import BybitWsError
from bybit_ws.api._client import BybitSocketClient
from bybit_ws.recording import Recorder

__all__ = ["check_plans", "run_stream"]


def check_plans(plans: Sequence[TopicPlan], url: str | None) -> str | None:
    """What stops ``plans`` from working (private topics without credentials), or ``None``; notes on
    stderr that a retired API's live endpoints no longer answer (without ``--url``)."""
    if any(p.private for p in plans) and not (
        os.environ.get("BYBIT_API_KEY") and os.environ.get("BYBIT_API_SECRET")
    ):
        return "private topics need credentials: set BYBIT_API_KEY and BYBIT_API_SECRET"
    api = plans[0].api
    if api != "v5" and url is None:
        status(
            f"note: Bybit retired the {api} API ({'v2, 2023' if api == 'inverse' else 'v3, 2024'}); "
            "its live endpoints no longer answer. Use --url for a compatible server, or v5 topics."
        )
    return None


def run_stream(args: argparse.Namespace) -> int:
    try:
        plans = plan_topics(args.topics, args.api, args.category)
        urls = endpoint_urls(args.url, (p.key for p in plans))
    except UsageError as exc:
        return usage("stream", exc)
    api = plans[0].api
    problem = check_plans(plans, args.url)
    if problem is not None:
        return usage("stream", problem)
    if args.record and os.path.isfile(args.record):
        return usage("stream", f"--record takes a directory, not a file: {args.record}")
    out = Printer()
    recorder: Recorder | None = None
    client: BybitSocketClient | None = None
    try:
        client = BybitSocketClient(testnet=args.testnet, urls=urls)
        used = {p.key: client.urls[p.key] for p in plans}
        if args.record:
            metadata: dict[str, Any] = {"api": api, "topics": list(args.topics), "urls": used}
            if api == "v5":
                metadata["category"] = args.category
            recorder = Recorder(args.record, metadata=metadata)
            client.record(recorder)  # before subscribing: the first frames (order-book snapshots) count
        status(
            f"streaming {', '.join(args.topics)} from {', '.join(sorted(set(used.values())))}; Ctrl-C stops"
        )
        subscribe_all(client, plans, out)
        wait_until_done(client, args.seconds, out)
    except KeyboardInterrupt:
        pass
    except ValueError as exc:
        return usage("stream", exc)
    except (BybitWsError, OSError) as exc:
        status(f"bybit-ws stream: error: {exc}")
        return 1
    finally:
        if client is not None:
            client.close()
        if recorder is not None:
            recorder.close()
    return 0
