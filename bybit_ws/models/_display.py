"""How events, models, subscriptions and order books show in a notebook: small HTML tables.

IPython calls ``_repr_html_`` on a cell's output. Values show as a trader reads them: a ``Decimal`` as
its digits, a time as ``2023-11-14 22:13:20.123 UTC``, an enum as its wire value, ``None`` as empty.
Every text is HTML-escaped.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["add_html_reprs", "data_html", "model_html", "table_html", "value_text"]

#: At most this many rows of a list of models are shown.
MAX_ROWS = 20


def value_text(value: Any) -> str:
    """One value as plain text (not escaped)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        text = f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"
        return f"{text} UTC" if value.utcoffset() is not None and not value.utcoffset() else text
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple)) and value and attrs.has(type(value[0])):
        return f"{len(value)} x {type(value[0]).__name__}"
    return str(value)


def table_html(headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """An HTML table of ``rows`` (values through :func:`value_text`)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(value_text(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def fields_html(pairs: Mapping[str, Any], caption: str) -> str:
    """A two-column table: one row per name and value, ``None`` values left out."""
    rows = [(name, value) for name, value in pairs.items() if value is not None]
    return table_html(("field", "value"), rows, caption)


def model_html(model: Any) -> str:
    """One model: a row per field that has a value."""
    values = {a.name: getattr(model, a.name) for a in attrs.fields(type(model))}
    return fields_html(values, type(model).__name__)


def models_html(models: Sequence[Any]) -> str:
    """Models of one class: a row per model, a column per field that any of them has."""
    names = [a.name for a in attrs.fields(type(models[0]))]
    shown = models[:MAX_ROWS]
    names = [n for n in names if any(getattr(m, n, None) is not None for m in shown)]
    more = f" (first {MAX_ROWS} of {len(models)})" if len(models) > MAX_ROWS else ""
    rows = [[getattr(m, n, None) for n in names] for m in shown]
    return table_html(names, rows, f"{len(models)} x {type(models[0]).__name__}{more}")


def data_html(data: Any) -> str:
    """The payload of an event: a model, a list of models, or anything else (its escaped repr)."""
    if attrs.has(type(data)):
        return model_html(data)
    same = isinstance(data, (list, tuple)) and data and all(type(d) is type(data[0]) for d in data)
    if same and attrs.has(type(data[0])):
        return models_html(data)
    return f"<pre>{html.escape(repr(data))}</pre>"


def _repr_html_(self: Any) -> str:
    return model_html(self)


def add_html_reprs(namespace: Mapping[str, Any]) -> None:
    """Give every attrs class defined in the module of ``namespace`` (its ``globals()``) a
    ``_repr_html_``, unless it has its own."""
    module = namespace.get("__name__")
    for value in list(namespace.values()):
        if (
            isinstance(value, type)
            and attrs.has(value)
            and value.__module__ == module
            and "_repr_html_" not in vars(value)
        ):
            value._repr_html_ = _repr_html_  # type: ignore[attr-defined]
