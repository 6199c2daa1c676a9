"""The ``stream`` command: print (and ``--record``) live events of raw topics."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

from bybit_ws._cli._console import Printer, status, subscribe_all, usage, wait_until_done
from bybit_ws._cli._recording import Recorder
from bybit_ws._cli._topics import TopicPlan, UsageError, endpoint_urls, plan_topics
from bybit_ws._client import BybitSocketClient
from bybit_ws._errors import BybitWsError

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
    out = Printer()
    recorder: Recorder | None = None
    client: BybitSocketClient | None = None
    try:
        client = BybitSocketClient(testnet=args.testnet, urls=urls, keep_original_data=bool(args.record))
        used = {p.key: client.urls[p.key] for p in plans}
        if args.record:
            header = {"api": api, "topics": list(args.topics), "urls": used}
            if api == "v5":
                header["category"] = args.category
            recorder = Recorder(args.record, {**header, "t": time.time()})
        status(
            f"streaming {', '.join(args.topics)} from {', '.join(sorted(set(used.values())))}; Ctrl-C stops"
        )
        subscribe_all(client, plans, out, recorder)
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
