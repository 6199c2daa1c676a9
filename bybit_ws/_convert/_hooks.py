"""Value hooks: wire values to Python values (decimals and the price cache, integers, booleans, text,
times, enums); ``None`` or ``""`` mean unset."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "EPOCH",
    "Hook",
    "boolean",
    "decimal",
    "enum_of",
    "integer",
    "price_decimal",
    "scaled",
    "text",
    "time_auto",
    "time_iso",
    "time_ms",
    "time_ns",
    "time_s",
    "time_us",
]

Hook = Callable[..., Any]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_fromtimestamp = datetime.fromtimestamp


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


_PRICES: dict[str | int, Decimal] = {}
_PRICES_SIZE = 4096


def price_decimal(value: Any, _type: Any = None) -> Decimal | None:
    """A market price: :func:`decimal`, with the results of strings and ints remembered (bounded).

    Prices sit on a tick grid, so a feed repeats a few hundred of them over and over (book levels,
    trades, tickers): a dict lookup is several times cheaper than making the ``Decimal`` again, and
    the value is the same exact ``Decimal`` (the key is the wire text, so ``"1.50"`` stays ``1.50``).
    Quantities rarely repeat and stay :func:`decimal`.
    """
    if type(value) is str or type(value) is int:
        try:
            return _PRICES[value]
        except KeyError:
            pass
        if value == "":
            return None
        return _new_price(value)
    return decimal(value)


def _new_price(value: str | int) -> Decimal:
    """``Decimal(value)`` of a non-empty str or an int, remembered; ValueError if it is not a number."""
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if len(_PRICES) >= _PRICES_SIZE:
        _PRICES.clear()
    _PRICES[value] = result
    return result


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
_BOOLS = {"true": True, "false": False}  # the common spellings, looked up inline by structurer()


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
    hook.exponent = exponent  # type: ignore[attr-defined]  # lets structurer() inline the int case
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


# Until 2096 a double's error on µs/1e6 is under 0.5 µs, so fromtimestamp's rounding to the microsecond
# is exact (and one C call, against timedelta arithmetic); later values take the exact path. Millisecond
# stamps give fromtimestamp whole seconds; their limit only keeps it inside the platform's range.
_MS_FAST_LIMIT = 4_000_000_000_000
_US_FAST_LIMIT = 4_000_000_000_000_000


# A feed's millisecond stamps share their second with many others: the datetime of each second is
# remembered (bounded), and a stamp is that plus one of 1,000 ready timedeltas, exact (~100 ns against
# ~250 for fromtimestamp, which also makes two datetimes).
_SECONDS: dict[int, datetime] = {}
_SECONDS_SIZE = 4096
_MILLIS = tuple(timedelta(milliseconds=ms) for ms in range(1000))


def time_ms(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from epoch milliseconds (int or numeric string), exact."""
    if type(value) is int:
        second, ms = divmod(value, 1000)
        base = _SECONDS.get(second)
        if base is not None:
            return base + _MILLIS[ms]
        if -_MS_FAST_LIMIT < value < _MS_FAST_LIMIT:
            base = _fromtimestamp(second, timezone.utc)
            if len(_SECONDS) >= _SECONDS_SIZE:
                _SECONDS.clear()
            _SECONDS[second] = base
            return base + _MILLIS[ms]
        return EPOCH + timedelta(milliseconds=value)
    return _epoch(value, 1000)


def time_us(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from epoch microseconds (int or numeric string), exact."""
    if type(value) is int and -_US_FAST_LIMIT < value < _US_FAST_LIMIT:
        return _fromtimestamp(value / 1_000_000, timezone.utc)
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


_ISO_CACHE: dict[str, datetime] = {}
_ISO_CACHE_SIZE = 4096


def time_iso(value: Any, _type: Any = None) -> datetime | None:
    """UTC datetime from an ISO-8601 string (``Z`` or an offset; up to 9 fractional digits).

    Results are cached (bounded): consecutive frames repeat the same second-precision stamps.
    """
    try:
        return _ISO_CACHE[value]
    except (KeyError, TypeError):
        pass
    result = _parse_iso(value)
    if result is not None and type(value) is str:
        if len(_ISO_CACHE) >= _ISO_CACHE_SIZE:
            _ISO_CACHE.clear()
        _ISO_CACHE[value] = result
    return result


def _parse_iso(value: Any) -> datetime | None:
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

    known = cls._value2member_map_

    def hook(value: Any, _type: Any = None) -> Any:
        try:
            return known[value]
        except (KeyError, TypeError):
            pass
        if _unset(value):
            return None
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"not a {cls.__name__}: {value!r}") from None

    hook.__name__ = f"enum_{cls.__name__}"
    hook.members = known  # type: ignore[attr-defined]  # lets structurer() inline the lookup
    hook.enum = cls  # type: ignore[attr-defined]  # lets an exact wire schema decode members in C
    return hook
