"""Typed models of the three API families: :mod:`.inverse`, :mod:`.contract`, :mod:`.v5`.

All are frozen, slotted attrs classes; prices and quantities are exact ``Decimal``, times are UTC
``datetime``. The wire models have no ``__weakref__`` slot (``weakref_slot=False``): the generated
builders in :mod:`bybit_ws._convert` need that layout to build them at plain-class speed.
"""

from __future__ import annotations

from ._common import DataEvent, DeltaUpdate

__all__ = ["DataEvent", "DeltaUpdate"]
