"""`wire()`: how a model declares a field's wire name and hook, and the metadata keys it stores them under."""

from __future__ import annotations

from typing import Any

import attrs

from bybit_ws._convert._hooks import Hook

__all__ = ["ALIASES", "HOOK", "WIRE", "wire"]

WIRE = "bybit_ws.wire"
HOOK = "bybit_ws.hook"
ALIASES = "bybit_ws.aliases"


def wire(
    name: str,
    hook: Hook,
    *,
    optional: bool = True,
    aliases: tuple[tuple[str, Hook], ...] = (),
) -> Any:
    """Declare a model field: its wire ``name``, the ``hook`` that converts the value.

    Optional fields (the default) are ``None`` when the frame leaves them out. ``aliases`` are other
    wire names that may carry the same value, each with its own hook (e.g. ``open_interest_e8``).
    """
    metadata = {WIRE: name, HOOK: hook, ALIASES: aliases}
    if optional:
        return attrs.field(default=None, metadata=metadata)
    return attrs.field(metadata=metadata)
