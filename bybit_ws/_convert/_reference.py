"""The cattrs reference: `make_converter` and `reference_structurer`, the generated builders' yardstick."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from bybit_ws._convert._fields import ALIASES, HOOK, WIRE
from bybit_ws._convert._hooks import Hook, decimal, time_auto

__all__ = ["make_converter", "reference_structurer"]

T = TypeVar("T")


def make_converter() -> cattrs.Converter:
    """The library's one cattrs converter (no global converter is touched)."""
    converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=False)
    converter.register_structure_hook(Decimal, decimal)
    converter.register_structure_hook(datetime, time_auto)
    return converter


_CONVERTER = make_converter()


def reference_structurer(cls: type[T]) -> Callable[[Mapping[str, Any]], T]:
    """The same conversion as :func:`structurer`, built by cattrs ``make_dict_structure_fn``.

    Slower; the tests check the two agree on every fixture.
    """
    overrides: dict[str, Any] = {}
    aliases: list[tuple[str, str, Hook]] = []
    for a in attrs.fields(cast(Any, cls)):
        md = a.metadata
        if WIRE not in md:
            raise TypeError(f"{cls.__name__}.{a.name} is not declared with wire()")
        overrides[a.name] = override(rename=md[WIRE], struct_hook=md[HOOK])
        for alias, hook in md[ALIASES]:
            aliases.append((alias, md[WIRE], hook))
    fn = make_dict_structure_fn(
        cls,
        _CONVERTER,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=False,
        **overrides,
    )

    def structure(data: Mapping[str, Any]) -> T:
        for alias, target, hook in aliases:
            if alias in data and data.get(target) is None:
                data = dict(data)
                data[target] = hook(data[alias])
        return fn(data, cls)

    structure.__name__ = f"reference_structure_{cls.__name__}"
    return structure
