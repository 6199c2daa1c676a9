"""Wire values to Python values, and the generated functions that build every model.

Models declare their wire names and value hooks with :func:`wire`. From those declarations:

- :func:`structurer` generates a straight-line function ``dict -> model`` (inline fast paths for the
  common wire types, the field's hook for anything else, plain stores into a layout twin of the
  model that then becomes the model: see :func:`layout_twin`);
- :func:`wire_schema` generates a msgspec ``Struct`` of the model's wire keys and the function that
  builds the model from it, for frames msgspec decodes straight into structs (the typed path);
- :func:`merger` generates ``merge(base, delta)`` for tickers;
- :func:`reference_structurer` is cattrs' ``make_dict_structure_fn`` with one override per field: the
  reference the tests hold the generated functions to.

Every hook takes ``(value, type=None)`` so cattrs can call it directly. Hooks accept the forms Bybit has
been seen to send (numbers or strings, empty strings for "unset") and map "unset" to ``None``.
"""

from bybit_ws._convert._codegen import merger, structurer
from bybit_ws._convert._enums import OpenEnum, OpenIntEnum
from bybit_ws._convert._fields import wire
from bybit_ws._convert._hooks import _MILLIS as _MILLIS  # models/v5 reads the time caches inline
from bybit_ws._convert._hooks import _PRICES as _PRICES  # models/v5 reads the price cache inline
from bybit_ws._convert._hooks import _SECONDS as _SECONDS
from bybit_ws._convert._hooks import (
    boolean,
    decimal,
    enum_of,
    integer,
    price_decimal,
    scaled,
    text,
    time_auto,
    time_iso,
    time_ms,
    time_ns,
    time_s,
    time_us,
)
from bybit_ws._convert._reference import make_converter, reference_structurer
from bybit_ws._convert._schema import WireSchema, wire_schema
from bybit_ws._convert._twins import layout_twin, required_twin

__all__ = [
    "OpenEnum",
    "OpenIntEnum",
    "WireSchema",
    "boolean",
    "decimal",
    "enum_of",
    "integer",
    "layout_twin",
    "make_converter",
    "merger",
    "price_decimal",
    "reference_structurer",
    "required_twin",
    "scaled",
    "structurer",
    "text",
    "time_auto",
    "time_iso",
    "time_ms",
    "time_ns",
    "time_s",
    "time_us",
    "wire",
    "wire_schema",
]
