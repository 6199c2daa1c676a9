"""Typed models of the three API families: :mod:`.inverse`, :mod:`.contract`, :mod:`.v5`.

All are frozen attrs classes; prices and quantities are exact ``Decimal``, times are UTC ``datetime``.
"""

from __future__ import annotations

from ._common import DataEvent, DeltaUpdate

__all__ = ["DataEvent", "DeltaUpdate"]
