"""Data out: models and events as JSON-ready builtins (:func:`to_builtins`) and as pandas DataFrames
(:func:`to_dataframe`).

Both are generic over the attrs models: :func:`to_builtins` goes through one cattrs converter, and the
rows of :func:`to_dataframe` follow the models' fields and type hints, so a new model or field needs
no code here. The row layout (:func:`table_columns`) is shared with the Parquet export of
:mod:`bybit_ws.recording`.
"""

from __future__ import annotations

import enum
import functools
import math
import types
import typing
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Union

import attrs
import cattrs

from .models._common import DataEvent, DeltaUpdate, OrderBookSnapshot

if TYPE_CHECKING:
    import pandas

__all__ = ["Columns", "table_columns", "to_builtins", "to_dataframe"]

# ------------------------------------------------------------------------------------ to_builtins


def _iso(value: datetime) -> str:
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(timezone.utc)
    return value.isoformat()


def _plain(value: Any) -> Any:
    # str and int hooks: the library's enums mix in str or int, which come before Enum in their MRO
    return value.value if isinstance(value, enum.Enum) else value


def _items(value: Iterable[Any]) -> list[Any]:
    unstructure = _converter().unstructure
    return [unstructure(item) for item in value]


def _is_tuple(hint: Any) -> bool:
    return hint is tuple or typing.get_origin(hint) is tuple


@functools.cache
def _converter() -> cattrs.Converter:
    """The one converter of :func:`to_builtins` (made on first use; hooks before any class hook)."""
    converter = cattrs.Converter()
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(datetime, _iso)
    converter.register_unstructure_hook(enum.Enum, _plain)
    converter.register_unstructure_hook(str, _plain)
    converter.register_unstructure_hook(int, _plain)
    converter.register_unstructure_hook(OrderBookSnapshot, _items)
    converter.register_unstructure_hook_func(_is_tuple, _items)  # JSON has no tuples
    return converter


def to_builtins(obj: Any) -> Any:
    """A model, an event, or a list/tuple of them as JSON-ready builtins, through cattrs' unstructure hooks.

    Attrs models and :class:`~bybit_ws.DataEvent` become dicts keyed by field name, tuples and lists become
    lists (an order-book snapshot is the list of its entries), ``Decimal`` a string (exact, as sent),
    ``datetime`` an ISO 8601 string in UTC (``"2024-01-02T03:04:05.123000+00:00"``), an enum its wire
    value (an unknown value kept by an open enum included). The result goes through ``json.dumps`` as is.

    >>> import json
    >>> json.dumps(to_builtins(event))                                        # doctest: +SKIP
    """
    return _converter().unstructure(obj)


# ------------------------------------------------------------------------------------ rows

#: column kinds, from the fields' type hints: how a column is typed in a DataFrame or Parquet table
DECIMAL, DATETIME, INT, BOOL, STR, ENUM, INT_ENUM, OBJECT = (
    "decimal",
    "datetime",
    "int",
    "bool",
    "str",
    "enum",
    "int_enum",
    "object",
)
_SIDES = (("bids", "Buy"), ("asks", "Sell"))
_ACTIONS = ("delete", "update", "insert")


@attrs.frozen
class Columns:
    """Rows as columns: ``names`` in order, ``values[name]`` a list per column, ``kinds[name]`` its kind
    (``"decimal"``, ``"datetime"``, ``"int"``, ``"bool"``, ``"str"``, ``"enum"``, ``"int_enum"``,
    ``"object"``)."""

    names: list[str]
    values: dict[str, list[Any]]
    kinds: dict[str, str]

    def __len__(self) -> int:
        return len(self.values[self.names[0]]) if self.names else 0


def _kind(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (Union, types.UnionType):
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if len(args) == 1:
            return _kind(args[0])
        if enums and all(a is str or a in enums for a in args):  # e.g. KlineInterval | str
            return ENUM
        return OBJECT
    if not isinstance(hint, type):
        return OBJECT
    if issubclass(hint, enum.Enum):
        return INT_ENUM if issubclass(hint, int) else ENUM
    for base, kind in ((Decimal, DECIMAL), (datetime, DATETIME), (bool, BOOL), (int, INT), (str, STR)):
        if issubclass(hint, base):
            return kind
    return OBJECT


def _nested(hint: Any) -> type | None:
    """The model of a ``tuple[Model, ...]`` (optionally ``| None``) field."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (Union, types.UnionType) and len(args) == 1:
        hint, args = args[0], list(typing.get_args(args[0]))
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis and attrs.has(args[0]):
        model: type = args[0]
        return model
    return None


@functools.cache
def _plan(cls: type) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, type], ...]]:
    """A model's scalar columns ``(name, kind)`` and its nested model fields ``(name, model)``."""
    hints = typing.get_type_hints(cls)
    scalars: list[tuple[str, str]] = []
    nested: list[tuple[str, type]] = []
    for field in attrs.fields(cls):
        hint = hints.get(field.name, Any)
        inner = _nested(hint)
        if inner is not None:
            nested.append((field.name, inner))
        else:
            scalars.append((field.name, _kind(hint)))
    return tuple(scalars), tuple(nested)


class _Builder:
    """Collects rows into columns; a column that first appears late is padded with ``None``."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.kinds: dict[str, str] = {}
        self.count = 0

    def add(self, row: dict[str, Any], kinds: dict[str, str]) -> None:
        values = self.values
        for name, value in row.items():
            column = values.get(name)
            if column is None:
                column = values[name] = [None] * self.count
                self.kinds[name] = kinds[name]
            column.append(value)
        self.count += 1
        for column in values.values():
            if len(column) < self.count:
                column.append(None)

    def columns(self) -> Columns:
        return Columns(list(self.values), self.values, self.kinds)


def _model_rows(obj: Any, base: dict[str, Any], kinds: dict[str, str]) -> Iterator[dict[str, Any]]:
    cls: Any = type(obj)
    scalars, nested = _plan(cls)
    row = dict(base)
    for name, kind in scalars:
        row[name] = getattr(obj, name)
        kinds[name] = kind
    if not nested:
        yield row
        return
    names = {name for name, _ in nested}
    if names == {"bids", "asks"}:  # an order book: a row per level, with its side
        kinds["side"] = ENUM
        for name, side in _SIDES:
            for level in getattr(obj, name):
                yield from _model_rows(level, {**row, "side": side}, kinds)
        return
    if len(nested) == 1:  # e.g. a wallet: a row per coin, the wallet's fields repeated
        name, _ = nested[0]
        items = getattr(obj, name) or ()
        if not items:
            yield row
        for item in items:
            yield from _model_rows(item, row, kinds)
        return
    for name, _ in nested:
        row[name] = getattr(obj, name)
        kinds[name] = OBJECT
    yield row


@functools.cache
def _event_fields() -> tuple[tuple[str, str, str], ...]:
    """``(attribute, column, kind)`` of the event's own fields (``timestamp`` is the ``received`` column)."""
    hints = typing.get_type_hints(DataEvent)
    fields = []
    for field in attrs.fields(DataEvent):
        if field.name in ("data", "original_data"):
            continue
        column = "received" if field.name == "timestamp" else field.name
        fields.append((field.name, column, _kind(hints.get(field.name, Any))))
    return tuple(fields)


def _rows(item: Any, base: dict[str, Any], kinds: dict[str, str]) -> Iterator[dict[str, Any]]:
    if isinstance(item, DataEvent):
        base = dict(base)
        for attribute, column, kind in _event_fields():
            base[column] = getattr(item, attribute)
            kinds[column] = kind
        yield from _rows(item.data, base, kinds)
    elif isinstance(item, DeltaUpdate):
        base = {**base, "sequence": item.sequence, "timestamp": item.timestamp}
        kinds.update(sequence=INT, timestamp=DATETIME, action=STR)
        for action in _ACTIONS:
            for entry in getattr(item, action):
                yield from _model_rows(entry, {**base, "action": action}, kinds)
    elif isinstance(item, OrderBookSnapshot):
        base = {**base, "sequence": item.sequence, "timestamp": item.timestamp, "action": "snapshot"}
        kinds.update(sequence=INT, timestamp=DATETIME, action=STR)
        for entry in item:
            yield from _model_rows(entry, base, kinds)
    elif attrs.has(type(item)):
        yield from _model_rows(item, base, kinds)
    elif isinstance(item, (list, tuple)):
        for element in item:
            yield from _rows(element, base, kinds)
    else:
        raise TypeError(f"not a model, an event or a list of them: {type(item).__name__}")


def table_columns(items: Any) -> Columns:
    """The rows of :func:`to_dataframe` as columns of Python values, with each column's kind."""
    if isinstance(items, DataEvent) or attrs.has(type(items)) or not isinstance(items, Iterable):
        items = [items]
    builder = _Builder()
    kinds: dict[str, str] = {}
    for item in items:
        for row in _rows(item, {}, kinds):
            builder.add(row, kinds)
    return builder.columns()


# ------------------------------------------------------------------------------------ to_dataframe


def _floats(values: list[Any]) -> list[float]:
    nan = math.nan
    return [nan if v is None else float(v) for v in values]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "to_dataframe needs pandas: pip install 'bybit-ws-sync[pandas]'", name=exc.name
        ) from exc
    return pandas


def to_dataframe(items: Any, *, exact: bool = False) -> pandas.DataFrame:
    """A pandas DataFrame from events, models, or lists of them (needs the ``[pandas]`` extra).

    Row shapes:

    * an event contributes its ``topic`` and its receive time as ``received`` (and any other field the
      event has) to each of its rows; an event whose ``data`` is a list gives a row per item;
    * a model gives one row, its fields as columns (trade, ticker, kline, order, position, ...);
    * a v5 order book (``OrderBookUpdate``): a row per level, ``side`` ``"Buy"`` for bids and ``"Sell"``
      for asks, with the book's ``symbol``, ``update_id``, ``sequence`` and times repeated;
    * an inverse order book: a snapshot gives a row per entry with ``action`` ``"snapshot"``; a
      :class:`~bybit_ws.DeltaUpdate` a row per entry with ``action`` ``"delete"``, ``"update"`` or
      ``"insert"``; both with the frame's ``sequence`` and ``timestamp``;
    * a model with one list of nested models (a v5 wallet's coins) gives a row per nested item, the
      parent's fields repeated; other nested lists stay Python objects.

    Columns are typed from the models' type hints: times as tz-aware UTC ``datetime64``, prices,
    quantities and other ``Decimal`` values as ``float64`` (``exact=True``: the exact ``Decimal``
    objects, ``object`` dtype), integers ``int64`` (``Int64`` when some are missing), flags ``bool``
    (``boolean`` when some are missing), enums as their wire values. Mixed kinds of rows share one
    frame, each column missing where a row has no such field: pass one kind at a time for tidy tables.

    Raises:
        ImportError: pandas is not installed.
        TypeError: an item is not a model, an event or a list of them.
    """
    pd = _pandas()
    table = table_columns(items)
    data: dict[str, Any] = {}
    for name in table.names:
        values, kind = table.values[name], table.kinds[name]
        data[name] = _pandas_column(pd, values, kind, exact)
    frame: pandas.DataFrame = pd.DataFrame(data, index=pd.RangeIndex(len(table)))
    return frame


def _pandas_column(pd: Any, values: list[Any], kind: str, exact: bool) -> Any:
    missing = any(v is None for v in values)
    if kind == DECIMAL:
        return pd.array(values, dtype=object) if exact else pd.array(_floats(values), dtype="float64")
    if kind == DATETIME:
        return pd.to_datetime(pd.Series(values, dtype=object), utc=True).dt.as_unit("us")
    if kind in (INT, INT_ENUM):
        ints = [None if v is None else int(v) for v in values]
        return pd.array(ints, dtype="Int64" if missing else "int64")
    if kind == BOOL:
        return pd.array(values, dtype="boolean" if missing else "bool")
    if kind in (ENUM, STR):
        return pd.Series([_plain(v) for v in values])
    return pd.Series([to_builtins(v) for v in values], dtype=object)
