"""Wire values to Python values, and the one cattrs converter that builds every model.

Models declare their wire names and value hooks with :func:`wire`; :func:`structurer` turns a model class
into a fast, straight-line function ``dict -> model`` (cattrs ``make_dict_structure_fn`` with one
override per field, no detailed validation on the hot path).

Every hook takes ``(value, type=None)`` so cattrs can call it directly. Hooks accept the forms Bybit has
been seen to send (numbers or strings, empty strings for "unset") and map "unset" to ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

__all__ = [
    "OpenEnum",
    "OpenIntEnum",
    "boolean",
    "decimal",
    "enum_of",
    "integer",
    "make_converter",
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
]

T = TypeVar("T")
Hook = Callable[..., Any]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_WIRE = "bybit_ws.wire"
_HOOK = "bybit_ws.hook"
_ALIASES = "bybit_ws.aliases"
_MAX_PSEUDO_MEMBERS = 256


# --------------------------------------------------------------------------------------------- enums
class OpenEnum(str, enum.Enum):
    """A string enum that keeps values it does not know.

    ``OrderSide("Short")`` returns a pseudo-member whose ``value`` is ``"Short"`` instead of raising, so
    a new value from the exchange never drops a message and never loses the value.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        folded = value.casefold()
        for known in cls:
            if known.value.casefold() == folded:
                return known
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        if len(cls._value2member_map_) < _MAX_PSEUDO_MEMBERS:
            cls._value2member_map_[value] = member
        return member

    def __str__(self) -> str:
        return str(self.value)


class OpenIntEnum(enum.IntEnum):
    """An int enum that keeps values it does not know (see :class:`OpenEnum`)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                return None
            try:
                return cls(value)
            except ValueError:
                pass
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        if len(cls._value2member_map_) < _MAX_PSEUDO_MEMBERS:
            cls._value2member_map_[value] = member
        return member


# --------------------------------------------------------------------------------------------- hooks
def _unset(value: Any) -> bool:
    return value is None or value == ""


def decimal(value: Any, _type: Any = None) -> Decimal | None:
    """A price, quantity or amount: exact ``Decimal`` from a Decimal, int or numeric string.

    Floats (only from a JSON decoder that makes them) go through ``repr``, the shortest text that
    round-trips. ``None`` and ``""`` mean unset.
    """
    if type(value) is Decimal:
        return value
    if type(value) is str:
        if value == "":
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a decimal number: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    raise ValueError(f"not a decimal number: {value!r}")


def integer(value: Any, _type: Any = None) -> int | None:
    """An integer from an int or a numeric string (``"1"``); ``None`` and ``""`` mean unset."""
    if type(value) is int:
        return value
    if _unset(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return int(value)
    if isinstance(value, (Decimal, float)) and value == int(value):
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})


def boolean(value: Any, _type: Any = None) -> bool | None:
    """A flag from ``true``/``false``, ``1``/``0`` or their string forms (``"false"``, ``"Y"``)."""
    if value is True or value is False:
        return value
    if _unset(value):
        return None
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ValueError(f"not a boolean: {value!r}")


def text(value: Any, _type: Any = None) -> str | None:
    """A string; numbers are turned into their text. ``None`` stays ``None``."""
    if type(value) is str or value is None:
        return value
    return str(value)


def scaled(exponent: int) -> Hook:
    """A hook for Bybit's ``*_eN`` integers: the value divided by ``10**exponent``, exactly."""

    def hook(value: Any, _type: Any = None) -> Decimal | None:
        if _unset(value):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            raise ValueError(f"not a scaled integer: {value!r}")
        return Decimal(value).scaleb(-exponent)

    hook.__name__ = f"scaled_e{exponent}"
    return hook


def _epoch(value: Any, unit_us: int) -> datetime | None:
    if _unset(value):
        return None
    if isinstance(value, datetime):
        return value
    if type(value) is not int:
        if isinstance(value, bool):
            raise ValueError(f"not a timestamp: {value!r}")
        if isinstance(value, str):
            value = int(value)
        elif isinstance(value, (Decimal, float)):
            value = int(Decimal(value) * unit_us) // unit_us if unit_us > 1 else int(value)
        else:
            raise ValueError(f"not a timestamp: {value!r}")
    return EPOCH + timedelta(microseconds=value * unit_us)


def time_s(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from epoch seconds (int or numeric string)."""
    return _epoch(value, 1_000_000)


def time_ms(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from epoch milliseconds (int or numeric string), exact."""
    if type(value) is int:
        return EPOCH + timedelta(milliseconds=value)
    return _epoch(value, 1000)


def time_us(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from epoch microseconds (int or numeric string), exact."""
    return _epoch(value, 1)


def time_ns(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from epoch nanoseconds, truncated to microseconds."""
    if _unset(value):
        return None
    if isinstance(value, datetime):
        return value
    ns = integer(value)
    assert ns is not None
    return EPOCH + timedelta(microseconds=ns // 1000)


def time_iso(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from an ISO-8601 string (``Z`` or an offset; up to 9 fractional digits)."""
    if _unset(value):
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not an ISO timestamp: {value!r}")
    s = value
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    dot = s.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(s) and s[end].isdigit():
            end += 1
        digits = s[dot + 1 : end]
        if len(digits) > 6:
            s = s[: dot + 7] + s[end:]
        elif len(digits) not in (0, 3, 6):
            s = s[: dot + 1] + digits.ljust(6, "0") + s[end:]
    result = datetime.fromisoformat(s)
    if result.tzinfo is None:
        return result.replace(tzinfo=timezone.utc)
    return result.astimezone(timezone.utc)


def time_auto(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from an epoch of unknown unit (Bybit.Net's thresholds) or an ISO string."""
    if _unset(value):
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return time_iso(value)
    number = integer(value)
    assert number is not None
    if number < 19_999_999_999:
        return time_s(number)
    if number < 19_999_999_999_999:
        return time_ms(number)
    if number < 19_999_999_999_999_999:
        return time_us(number)
    return time_ns(number)


def enum_of(cls: type[enum.Enum]) -> Hook:
    """A hook that makes a member of ``cls`` (an open enum keeps unknown values); ``""`` means unset."""

    def hook(value: Any, _type: Any = None) -> Any:
        if _unset(value):
            return None
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"not a {cls.__name__}: {value!r}") from None

    hook.__name__ = f"enum_{cls.__name__}"
    return hook


# --------------------------------------------------------------------------------------------- models
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
    metadata = {_WIRE: name, _HOOK: hook, _ALIASES: aliases}
    if optional:
        return attrs.field(default=None, metadata=metadata)
    return attrs.field(metadata=metadata)


def make_converter() -> cattrs.Converter:
    """The library's one cattrs converter (no global converter is touched)."""
    converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=False)
    converter.register_structure_hook(Decimal, decimal)
    converter.register_structure_hook(datetime, time_auto)
    return converter


_CONVERTER = make_converter()


def structurer(cls: type[T]) -> Callable[[Mapping[str, Any]], T]:
    """A fast function that builds ``cls`` from one wire dict (unknown keys ignored).

    Raises ``KeyError``/``ValueError``/``TypeError``/``ArithmeticError`` on a malformed dict; callers
    turn those into :class:`~bybit_ws.FrameError`.
    """
    overrides: dict[str, Any] = {}
    aliases: list[tuple[str, str, Hook]] = []
    for a in attrs.fields(cast(Any, cls)):
        md = a.metadata
        if _WIRE not in md:
            raise TypeError(f"{cls.__name__}.{a.name} is not declared with wire()")
        overrides[a.name] = override(rename=md[_WIRE], struct_hook=md[_HOOK])
        for alias, hook in md[_ALIASES]:
            aliases.append((alias, md[_WIRE], hook))
    fn = make_dict_structure_fn(
        cls,
        _CONVERTER,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=False,
        **overrides,
    )

    if not aliases:

        def structure(data: Mapping[str, Any]) -> T:
            return fn(data, cls)

    else:

        def structure(data: Mapping[str, Any]) -> T:
            for alias, target, hook in aliases:
                if alias in data and target not in data:
                    data = dict(data)
                    data[target] = hook(data[alias])
            return fn(data, cls)

    structure.__name__ = f"structure_{cls.__name__}"
    return structure
