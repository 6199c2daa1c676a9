"""Wire schemas: a model's wire keys as a msgspec ``Struct`` (the typed path) and the builders from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast

import attrs
import msgspec

from bybit_ws._convert._codegen import exact_kind, generate, generate_merger
from bybit_ws._convert._fields import ALIASES, HOOK, WIRE
from bybit_ws._convert._hooks import decimal

__all__ = ["WireSchema", "wire_schema"]

T = TypeVar("T")


@attrs.frozen
class WireSchema(Generic[T]):
    """A model's wire shape as a msgspec ``Struct``, and the function that builds the model from it.

    msgspec decodes a frame straight into ``struct`` (no dict, quantities made ``Decimal`` in C);
    ``build`` then converts exactly as :func:`structurer` does from the dict. :func:`decimal` fields are
    typed ``Decimal`` (a JSON number or numeric string), every other field ``Any``, so a value the
    schema does not expect (an ``""`` quantity) fails the decode and the caller takes the dict path
    instead. Prices (:func:`price_decimal`) stay ``Any`` too: the builder looks their text up in its
    cache, which beats making a ``Decimal`` in the decoder.

    A schema made with ``delta=True`` keeps "absent" apart from ``null``: every field is ``Any`` and
    defaults to ``UNSET``, and ``merge(base, struct)`` converts exactly as :func:`merger` does from the
    dict (the gain is in reading attributes instead of testing keys: a ticker delta tests them all).
    """

    struct: type[Any]
    build: Callable[[Any], T]
    #: ``build`` over a list of structs, in one call (the builder's body runs in a loop: no call per item)
    build_all: Callable[[Iterable[Any]], list[T]]
    merge: Callable[[T, Any], T] | None = None
    attributes: dict[str, str] = attrs.field(factory=dict)  # wire key -> struct attribute

    def has(self, struct: Any, key: str) -> bool:
        """Whether the wire object decoded into ``struct`` carried ``key`` (``delta=True`` schemas)."""
        return getattr(struct, self.attributes[key]) is not msgspec.UNSET


def wire_schema(
    cls: type[T], *, delta: bool = False, order: Sequence[str] = (), exact: bool = False
) -> WireSchema[T]:
    """The :class:`WireSchema` of a model declared with :func:`wire` (``delta``: see :class:`WireSchema`).

    ``exact``: every field whose hook has an :func:`~bybit_ws._convert._codegen.exact_kind` is decoded
    into that type (``str``, ``int``, ``bool``, ``Decimal``, an open enum's members), so msgspec makes
    the final values in C and ``build`` only copies them; a frame with any other value (a number as
    text, ``""`` for a flag) fails this schema's decode, so callers keep the lenient schema (the
    default) to decode it with (see :meth:`~bybit_ws.dialects._base.TypedParser.of`).

    ``order``: the wire keys in the order the exchange sends them (its documented or captured frames).
    The struct declares its fields in that order, the one msgspec matches keys fastest in: it tries the
    field after the last one matched first, and searches for a key out of order (measured: an inverse
    ticker delta decodes in 1.40 µs instead of 1.53, a trade frame in 1.20 instead of 1.26). Keys not
    listed follow in the model's order. Any order decodes the same structs.
    """
    spec: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for index, a in enumerate(attrs.fields(cast(Any, cls))):
        md = a.metadata
        required = a.default is attrs.NOTHING
        aliases = md[ALIASES]
        kind: Any = Decimal if md[HOOK] is decimal and not delta else Any
        if exact and not aliases:
            kind = exact_kind(md[HOOK]) or Any
        rename[f"f{index}"] = md[WIRE]
        if delta:  # converted by merge, as from the dict: "absent" (UNSET) kept apart from null
            spec.append((f"f{index}", Any if kind is Any else kind | None | msgspec.UnsetType, msgspec.UNSET))
        elif required and not aliases:
            spec.append((f"f{index}", kind))
        elif required:
            spec.append((f"f{index}", Any, msgspec.UNSET))  # present, or replaced by an alias
        else:
            spec.append((f"f{index}", kind | None, None))
        for alias, _hook in aliases:
            rename[f"a{index}_{alias}"] = alias
            spec.append((f"a{index}_{alias}", Any, msgspec.UNSET))
    if order:
        rank = {key: place for place, key in enumerate(order)}
        spec.sort(key=lambda field: rank.get(rename[field[0]], len(rank)))  # stable: the rest keep theirs
    kind_name = ("Exact" if exact else "") + ("DeltaWire" if delta else "Wire")
    struct = msgspec.defstruct(f"{cls.__name__}{kind_name}", spec, rename=rename, gc=False, kw_only=True)
    build, build_all = generate(cls, struct=True, unset=delta, many=True, exact=exact)
    build.__name__ = f"build_{cls.__name__}"
    build.__doc__ = f"Build a {cls.__name__} from its wire struct."
    build_all.__name__ = f"build_all_{cls.__name__}"
    build_all.__doc__ = f"Build a list of {cls.__name__} from a list of wire structs."
    merge = generate_merger(cls, struct=True, exact=exact) if delta else None
    return WireSchema(struct, build, build_all, merge, {wire_key: name for name, wire_key in rename.items()})
