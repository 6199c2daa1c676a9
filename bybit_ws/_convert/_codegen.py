"""The generated builders: `structurer` and `merger` from dicts, and the code both share with wire schemas."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs
import msgspec

from bybit_ws._convert._enums import OpenEnum
from bybit_ws._convert._fields import ALIASES, HOOK, WIRE
from bybit_ws._convert._hooks import (
    _BOOLS,
    _ISO_CACHE,
    _MILLIS,
    _PRICES,
    _SECONDS,
    Hook,
    _new_price,
    boolean,
    decimal,
    integer,
    price_decimal,
    text,
    time_iso,
    time_ms,
)
from bybit_ws._convert._twins import layout_twin, slot

__all__ = ["exact_kind", "generate", "generate_merger", "merger", "structurer"]

T = TypeVar("T")


def structurer(cls: type[T]) -> Callable[[Mapping[str, Any]], T]:
    """A fast function that builds ``cls`` from one wire dict (unknown keys ignored).

    The function is generated per model: straight-line code with inline fast paths for the common
    wire types (a ``str`` for a text field, a numeric string or an ``int`` for a decimal, a known value
    for an enum) and the field's full hook for anything else. It fills the slots directly (the models
    have no validators), so it builds exactly what :func:`reference_structurer` (cattrs) builds, faster.

    Raises ``KeyError`` (a required field is missing), ``ValueError``, ``TypeError`` or
    ``ArithmeticError`` on a malformed dict; callers turn those into :class:`~bybit_ws.FrameError`.
    """
    structure: Callable[[Mapping[str, Any]], T] = generate(cls, struct=False)
    structure.__name__ = f"structure_{cls.__name__}"
    structure.__doc__ = f"Build a {cls.__name__} from a wire dict."
    return structure


def generate(
    cls: type[T], *, struct: bool, unset: bool = False, many: bool = False, exact: bool = False
) -> Any:
    """The code of :func:`structurer` (from a dict ``o``) or of :attr:`WireSchema.build` (from a
    struct ``o`` whose field ``fN``/``aN_alias`` holds wire key N / an alias, ``UNSET`` if absent;
    with ``unset``, every ``fN`` is ``UNSET`` when absent, as in a ``delta=True`` schema; with
    ``exact``, each field :func:`exact_kind` types holds that type or ``None``, as msgspec made it).

    With ``many``, returns ``(build, build_all)``: ``build_all(items)`` runs the same body in a loop."""
    fields = attrs.fields(cast(Any, cls))
    twin = layout_twin(cls)
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_twin": twin, "Decimal": Decimal}
    lines = ["def structure(o):"]
    if struct:
        namespace["UNSET"] = msgspec.UNSET
    else:
        lines.append("    get = o.get")
    for index, a in enumerate(fields):
        md = a.metadata
        if WIRE not in md:
            raise TypeError(f"{cls.__name__}.{a.name} is not declared with wire()")
        hook = md[HOOK]
        namespace[f"_h{index}"] = hook
        # the slot setter only where there is no twin: each is one more object for a full GC to visit
        if not twin:
            namespace[f"_set{index}"] = slot(cls, a.name).__set__
        key = repr(md[WIRE])
        required = a.default is attrs.NOTHING
        aliases = md[ALIASES]
        for alias, alias_hook in aliases:
            namespace[f"_a{index}_{alias}"] = alias_hook
        if index == 0:
            lines.append("    inst = _twin()" if twin else "    inst = _new(_cls)")
        exact_field = struct and exact and not aliases and exact_kind(hook) is not None
        if exact_field and not unset and _exact_path(index, hook, required, {}) == COPY:
            # nothing to convert: the value as msgspec made it, in one load and one store
            lines.append(f"    inst.{a.name} = o.f{index}" if twin else f"    _set{index}(inst, o.f{index})")
            continue
        if struct:
            lines.append(f"    v = o.f{index}")
            if unset and not (required and aliases):  # absent is UNSET: as o.get(key) -> None
                lines += [
                    "    if v is UNSET:",
                    f"        raise KeyError({key})" if required else "        v = None",
                ]
            if required and aliases:
                lines += ["    absent = v is UNSET", "    if absent:", "        v = None"]
            for alias, _alias_hook in aliases:
                lines.append(f"    if v is None and o.a{index}_{alias} is not UNSET:")
                lines.append(f"        v = _a{index}_{alias}(o.a{index}_{alias})")
            if required and aliases:
                lines += ["    if v is None and absent:", f"        raise KeyError({key})"]
        else:
            lines.append(f"    v = {f'o[{key}]' if required and not aliases else f'get({key})'}")
            for alias, _alias_hook in aliases:
                lines.append(f"    if v is None and {alias!r} in o:")
                lines.append(f"        v = _a{index}_{alias}(o[{alias!r}])")
            if required and aliases:
                lines += [f"    if v is None and {key} not in o:", f"        raise KeyError({key})"]
        if exact_field:
            lines += _exact_path(index, hook, required and not unset, namespace)  # unset: null is None
        else:
            lines += _fast_path(index, hook, namespace)
        lines.append(f"    inst.{a.name} = f" if twin else f"    _set{index}(inst, f)")
    if twin:
        lines.append("    inst.__class__ = _cls")
    body = lines[1:]
    lines.append("    return inst")
    if many:
        lines += [
            "def structure_all(items):",
            "    out = []",
            "    append = out.append",
            "    for o in items:",
        ]
        lines += ["    " + line for line in body]
        lines += ["        append(inst)", "    return out"]
    what = "wire builder" if struct else "structurer"
    exec(compile("\n".join(lines), f"<bybit_ws {what} {cls.__name__}>", "exec"), namespace)
    if many:
        return namespace["structure"], namespace["structure_all"]
    return namespace["structure"]


def merger(cls: type[T]) -> Callable[[T, Mapping[str, Any]], T]:
    """A fast function ``merge(base, delta)``: a new ``cls`` with the fields ``delta`` carries converted,
    and every other field copied from ``base`` (a missing key means "unchanged").

    Used for tickers, whose deltas carry only what changed: converting a few fields and copying the
    rest is much cheaper than structuring the whole merged dict again. The typed path's twin is
    ``wire_schema(cls, delta=True).merge``.
    """
    merge: Callable[[T, Mapping[str, Any]], T] = generate_merger(cls, struct=False)
    return merge


def generate_merger(cls: type[T], *, struct: bool, exact: bool = False) -> Any:
    """The code of :func:`merger` (from a dict ``o``) or of :attr:`WireSchema.merge` (from a
    ``delta=True`` struct ``o``: ``fN``/``aN_alias`` are ``UNSET`` where the delta leaves them out;
    with ``exact``, each field :func:`exact_kind` types holds that type, ``None`` or ``UNSET``)."""
    fields = attrs.fields(cast(Any, cls))
    twin = layout_twin(cls)
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_twin": twin, "Decimal": Decimal}
    namespace["_UNSET"] = msgspec.UNSET
    # UNSET as a local (a default argument): it is read once a field
    lines = ["def merge(base, o, UNSET=_UNSET):", "    inst = _twin()" if twin else "    inst = _new(_cls)"]
    for index, a in enumerate(fields):
        md = a.metadata
        hook = md[HOOK]
        namespace[f"_h{index}"] = hook
        if not twin:
            namespace[f"_set{index}"] = slot(cls, a.name).__set__
        key = repr(md[WIRE])
        store = f"    inst.{a.name} = f" if twin else f"    _set{index}(inst, f)"
        if struct and exact and not md[ALIASES] and exact_kind(hook) is not None:
            # the unchanged field first (most are): one attribute test and one copy
            copy = f"inst.{a.name} = base.{a.name}" if twin else f"_set{index}(inst, base.{a.name})"
            lines += [f"    v = o.f{index}", "    if v is UNSET:", f"        {copy}", "    else:"]
            lines += ["    " + line for line in _exact_path(index, hook, False, namespace)]
            lines.append("    " + store)
            continue
        if struct:
            lines += [f"    v = o.f{index}", "    if v is not UNSET:"]
        else:
            lines += [f"    if {key} in o:", f"        v = o[{key}]"]
        lines += ["    " + line for line in _fast_path(index, hook, namespace)]
        for alias, alias_hook in md[ALIASES]:
            namespace[f"_a{index}_{alias}"] = alias_hook
            if struct:
                lines.append(f"    elif o.a{index}_{alias} is not UNSET:")
                lines.append(f"        v = _a{index}_{alias}(o.a{index}_{alias})")
            else:
                lines.append(f"    elif {alias!r} in o:")
                lines.append(f"        v = _a{index}_{alias}(o[{alias!r}])")
            lines += ["    " + line for line in _fast_path(index, hook, namespace)]
        lines.append("    else:")
        lines.append(f"        f = base.{a.name}")  # an attribute load: far cheaper than the slot __get__
        lines.append(store)
    if twin:
        lines.append("    inst.__class__ = _cls")
    lines.append("    return inst")
    what = "wire merger" if struct else "merger"
    exec(compile("\n".join(lines), f"<bybit_ws {what} {cls.__name__}>", "exec"), namespace)
    merge = namespace["merge"]
    merge.__name__ = f"merge_{cls.__name__}"
    merge.__doc__ = f"A new {cls.__name__}: base with the fields of a wire delta applied."
    return merge


def exact_kind(hook: Hook) -> Any:
    """The type msgspec decodes a field of ``hook`` into in an exact wire schema, so that the builder
    only copies it (or looks it up in a cache), or ``None`` where the field stays ``Any``.

    Each type takes a subset of what the hook takes, with the same result (an open enum's
    ``_missing_`` runs in the decoder too; the ``""`` pseudo-member it makes is ``None``, as the
    hook makes it); anything else fails the exact decode, and the lenient schema takes the frame."""
    if hook is text or hook is price_decimal:  # a price's text is looked up in the price cache
        return str
    if hook is integer or hook is time_ms:
        return int
    if hook is decimal:
        return Decimal
    if hook is boolean:
        return bool
    cls = getattr(hook, "enum", None)
    if isinstance(cls, type) and issubclass(cls, OpenEnum) and all(member.value for member in cls):
        return cls
    return None


def _exact_path(index: int, hook: Hook, required: bool, namespace: dict[str, Any]) -> list[str]:
    """Lines that turn ``v`` (of :func:`exact_kind`'s type, or ``None``) into ``f`` for field ``index``."""
    if hook is price_decimal:
        namespace["_prices"] = _PRICES
        namespace["_new_price"] = _new_price
        return ["    f = _prices.get(v)", "    if f is None:", "        f = _new_price(v) if v else None"]
    if hook is time_ms:
        namespace["_seconds"] = _SECONDS
        namespace["_millis"] = _MILLIS
        convert = [
            "    b = _seconds.get(v // 1000)",
            f"    f = b + _millis[v % 1000] if b is not None else _h{index}(v)",
        ]
        return (
            convert
            if required
            else ["    if v is None:", "        f = None", "    else:"] + ["    " + line for line in convert]
        )
    if getattr(hook, "enum", None) is not None:
        return ['    f = None if v == "" else v']  # the "" pseudo-member: unset, as the hook makes it
    return COPY


#: :func:`_exact_path` of a field whose value is final as decoded
COPY = ["    f = v"]


def _fast_path(index: int, hook: Hook, namespace: dict[str, Any]) -> list[str]:
    """Lines that turn ``v`` into ``f`` for field ``index``: inline for common types, else the hook."""
    h = f"_h{index}"
    if hook is text:
        return [f"    f = v if type(v) is str or v is None else {h}(v)"]
    if hook is integer:
        return [f"    f = v if type(v) is int else {h}(v)"]
    if hook is decimal:
        return [
            "    t = type(v)",
            f"    f = v if t is Decimal else Decimal(v) if (t is str and v) or t is int else {h}(v)",
        ]
    if hook is price_decimal:
        namespace["_prices"] = _PRICES
        namespace["_new_price"] = _new_price
        return [
            "    t = type(v)",
            "    if t is str or t is int:",
            "        f = _prices.get(v)",
            "        if f is None:",
            "            f = _new_price(v) if t is int or v else None",
            "    else:",
            f"        f = v if t is Decimal else {h}(v)",
        ]
    if hook is time_ms:  # the remembered second plus a ready timedelta; the hook fills the cache
        namespace["_seconds"] = _SECONDS
        namespace["_millis"] = _MILLIS
        return [
            "    b = _seconds.get(v // 1000) if type(v) is int else None",
            f"    f = b + _millis[v % 1000] if b is not None else {h}(v)",
        ]
    if hook is time_iso:
        namespace["_iso"] = _ISO_CACHE
        return [
            "    f = _iso.get(v) if type(v) is str else None",
            "    if f is None:",
            f"        f = {h}(v)",
        ]
    if hook is boolean:
        namespace["_bools"] = _BOOLS
        return [
            "    f = v if v is True or v is False else _bools.get(v) if type(v) is str else None",
            "    if f is None and v is not None:",
            f"        f = {h}(v)",
        ]
    exponent = getattr(hook, "exponent", None)
    if exponent is not None:
        return [f"    f = Decimal(v).scaleb({-exponent}) if type(v) is int else {h}(v)"]
    members = getattr(hook, "members", None)
    if members is not None:
        namespace[f"_m{index}"] = members
        return [
            f"    f = _m{index}.get(v) if type(v) is str else None",
            "    if f is None:",
            f"        f = {h}(v)",
        ]
    return [f"    f = {h}(v)"]
