"""websocket-client's UTF-8 validation switched off for pybit, which does not pass the flag itself."""

from __future__ import annotations

from typing import Any

import websocket


def force_skip_utf8_validation() -> None:
    """Make ``WebSocketApp.run_forever`` (which pybit calls without it) skip UTF-8 validation."""
    original = websocket.WebSocketApp.run_forever

    def run_forever(self: websocket.WebSocketApp, *args: Any, **kwargs: Any) -> bool:
        kwargs["skip_utf8_validation"] = True
        return bool(original(self, *args, **kwargs))

    websocket.WebSocketApp.run_forever = run_forever  # type: ignore[method-assign]
