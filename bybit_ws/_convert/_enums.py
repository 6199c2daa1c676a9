"""Open enums: string and int enums that keep the values they do not know."""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["OpenEnum", "OpenIntEnum"]

_MAX_PSEUDO_MEMBERS = 256


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
        # "" is never remembered: the hooks (enum_of, the generated builders) look values up in this
        # map before they test for "unset", and "" must stay unset (None) there
        if value and len(cls._value2member_map_) < _MAX_PSEUDO_MEMBERS:
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
