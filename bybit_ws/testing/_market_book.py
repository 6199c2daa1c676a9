"""The order book of `SimulatedMarket`: one deep book (the category's deepest depth a side, never
crossed) random-walking around its best bid; every served depth is a view of its top levels."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal

__all__ = ["DepthBook", "Side"]

Side = dict[Decimal, Decimal]
Levels = list[list[str]]
_QTY = Decimal("0.001")


class DepthBook:
    """Bids and asks, price -> size, `max_depth` levels a side; prices are multiples of `tick`."""

    def __init__(self, rng: random.Random, tick: Decimal, max_depth: int, best_bid: Decimal) -> None:
        self._rng = rng
        self.tick = tick
        self.max_depth = max_depth
        self.places = max(0, -int(tick.as_tuple().exponent))
        self.best_bid = best_bid
        self.bids: Side = {}
        self.asks: Side = {}
        self._fill(self.bids, -1, best_bid)
        self._fill(self.asks, +1, best_bid + tick)

    def move(self) -> int:
        """Random-walk the best bid; reshape both sides around it. Returns the move in ticks."""
        rng, tick = self._rng, self.tick
        moved = rng.choice((-3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 3))
        best_bid = self.best_bid + moved * tick
        best_ask = best_bid + tick
        self.best_bid = best_bid
        for price in [p for p in self.bids if p > best_bid]:
            del self.bids[price]
        for price in [p for p in self.asks if p < best_ask]:
            del self.asks[price]
        self.bids.setdefault(best_bid, self.size())
        self.asks.setdefault(best_ask, self.size())
        for side, inner, sign in ((self.bids, best_bid, -1), (self.asks, best_ask, +1)):
            for _ in range(rng.randint(1, 4)):  # some levels change size, some go, some appear
                price = inner + sign * rng.randint(0, 12) * tick
                if price != inner and rng.random() < 0.25:
                    side.pop(price, None)
                else:
                    side[price] = self.size()
            self._fill(side, sign, inner)
        return moved

    def _fill(self, side: Side, sign: int, inner: Decimal) -> None:
        """Trim `side` to `max_depth` levels, dropping the farthest, or extend it outward."""
        ordered = sorted(side, reverse=sign < 0)
        for price in ordered[self.max_depth :]:
            del side[price]
        far = ordered[min(len(ordered), self.max_depth) - 1] if ordered else inner - sign * self.tick
        while len(side) < self.max_depth:
            far += sign * self._rng.randint(1, 3) * self.tick
            side[far] = self.size()

    def size(self) -> Decimal:
        """A random level size."""
        return (Decimal(self._rng.randint(1, 3000)) * _QTY).quantize(_QTY)

    def view(self, depth: int) -> tuple[Side, Side]:
        """The top `depth` levels of each side."""
        return self.top(self.bids, depth, True), self.top(self.asks, depth, False)

    @staticmethod
    def top(side: Side, depth: int, bids: bool) -> Side:
        return {p: side[p] for p in sorted(side, reverse=bids)[:depth]}

    def levels(self, side: Mapping[Decimal, Decimal], bids: bool) -> list[list[str]]:
        """A side as v5 ``[price, size]`` string pairs, best first."""
        return [[self.price(p), str(side[p])] for p in sorted(side, reverse=bids)]

    def both_levels(self, view: tuple[Side, Side]) -> tuple[Levels, Levels]:
        """Bids and asks of a `view` as v5 levels."""
        return self.levels(view[0], True), self.levels(view[1], False)

    def diff(
        self, old: Mapping[Decimal, Decimal], new: Mapping[Decimal, Decimal], bids: bool
    ) -> list[list[str]]:
        """v5 delta entries turning `old` into `new`: changed or new levels, ``"0"`` for removed ones."""
        changes = {p: "0" for p in old if p not in new}
        changes.update({p: str(q) for p, q in new.items() if old.get(p) != q})
        return [[self.price(p), changes[p]] for p in sorted(changes, reverse=bids)]

    def price(self, price: Decimal) -> str:
        return f"{price:.{self.places}f}"
