"""``python -m bybit_ws``: the command line (``stream``, ``demo``, ``replay``); see :mod:`bybit_ws._cli`."""

from __future__ import annotations

from bybit_ws._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
