"""api: internal layer of bybit_ws (see the package docstring)."""
