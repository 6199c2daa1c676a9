"""The account side of `PaperExchange`: the wallet, funds held by resting orders, linear margin and
positions, and the ``position`` and ``wallet`` frames a fill pushes.

`PaperAccount` is not thread-safe on its own: the exchange calls it under its lock. It reads the
exchange's order book and market prices (shared, never copied) to count held funds and margin.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bybit_ws._errors import TradeRetCode
from bybit_ws.testing._paper_frames import (
    CoinRow,
    PaperOrder,
    PaperPosition,
    private_frame,
    wallet_account,
)

__all__ = ["PaperAccount", "Reject"]

_ZERO = Decimal(0)
#: The wallet's precision: Bybit books and reports coin amounts to 8 decimals (an average entry price
#: or a margin divided by leverage has more; the ledger rounds every booking to this).
COIN_STEP = Decimal("1E-8")


def coin_amount(amount: Decimal) -> Decimal:
    """``amount`` rounded to the wallet's precision (:data:`COIN_STEP`)."""
    return amount.quantize(COIN_STEP)


_QUOTES = ("USDT", "USDC", "BTC", "ETH", "EUR", "DAI")


class Reject(Exception):
    """A refused request (or batch item): Bybit's ``retCode`` and ``retMsg``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


class PaperAccount:
    """The paper exchange's wallet and linear positions (see `PaperExchange` for the arguments).

    ``orders`` and ``prices`` are the exchange's own order book and market prices, read here.
    """

    def __init__(
        self,
        *,
        balances: Mapping[str, Decimal | str | int] | None,
        maker_fee_rate: Decimal | str,
        taker_fee_rate: Decimal | str,
        leverage: Decimal | str | int,
        orders: Mapping[str, PaperOrder],
        prices: Mapping[str, Decimal],
    ) -> None:
        self.maker = Decimal(maker_fee_rate)
        self.taker = Decimal(taker_fee_rate)
        self._leverage = Decimal(leverage)
        start = {"USDT": "100000"} if balances is None else balances
        self._wallet: dict[str, Decimal] = {coin: Decimal(amount) for coin, amount in start.items()}
        self._positions: dict[tuple[str, int], PaperPosition] = {}
        self._orders = orders
        self._prices = prices

    # ------------------------------------------------------------------------------------------ queries
    def balance(self, coin: str) -> Decimal:
        """The wallet balance of ``coin``."""
        return self._wallet.get(coin, _ZERO)

    def position_size(self, symbol: str, position_idx: int) -> Decimal:
        """The signed size of a linear position (positive: long)."""
        position = self._positions.get((symbol, position_idx))
        return position.size if position else _ZERO

    # ------------------------------------------------------------------------------------------ money
    def coins(self, order: PaperOrder) -> tuple[str, str]:
        """(base, quote) of a spot symbol; (settle, settle) of a linear one."""
        if order.category == "linear":
            settle = "USDT" if order.symbol.endswith("USDT") else "USDC"
            return settle, settle
        for quote in _QUOTES:
            if order.symbol.endswith(quote) and len(order.symbol) > len(quote):
                return order.symbol[: -len(quote)], quote
        raise Reject(TradeRetCode.PARAMS_ERROR, f"params error: unknown spot symbol {order.symbol}")

    def available(self, coin: str, exclude: PaperOrder | None = None) -> Decimal:
        """``coin``'s balance less what resting orders hold and linear positions and orders margin."""
        held = sum((o.locked[1] for o in self._orders.values() if o.locked and o.locked[0] == coin), _ZERO)
        position_im, order_im, _, _ = self.margins(coin, exclude)
        return self._wallet.get(coin, _ZERO) - held - position_im - order_im

    def margins(
        self, coin: str, exclude: PaperOrder | None = None
    ) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """``coin``'s linear margins: (position IM, order IM, position MM, unrealised pnl), the
        positions' as their ``position`` frames show them, the orders' at their price."""
        position_im = position_mm = upl = order_im = _ZERO
        for position in self._positions.values():
            if self._settle(position.symbol) == coin and position.size:
                value = abs(position.size) * position.entry
                position_im += value / self._leverage
                position_mm += value * Decimal("0.005")
                mark = self._prices.get(position.symbol, position.entry)
                upl += (mark - position.entry) * position.size
        for o in self._orders.values():
            if o is not exclude and o.active and o.category == "linear" and self._settle(o.symbol) == coin:
                assert o.price is not None
                order_im += (o.qty - o.cum_qty) * o.price / self._leverage
        return position_im, order_im, position_mm, upl

    @staticmethod
    def _settle(symbol: str) -> str:
        return "USDT" if symbol.endswith("USDT") else "USDC"

    def check_funds(self, order: PaperOrder) -> None:
        """Raise `Reject` when the account cannot afford ``order`` (or its reduce-only is invalid)."""
        base, quote = self.coins(order)
        assert order.price is not None
        if order.category == "linear":
            position = self._positions.get((order.symbol, order.position_idx))
            size = position.size if position else _ZERO
            signed = order.qty if order.side == "Buy" else -order.qty
            if order.reduce_only and (not size or (size > 0) == (signed > 0)):
                raise Reject(TradeRetCode.REDUCE_ONLY_REJECTED, "current position is zero or same side")
            reduces = bool(size) and (size > 0) != (signed > 0)
            need = _ZERO if reduces else order.qty * order.price * (1 / self._leverage + self.taker)
            coin = quote
        elif order.side == "Buy":
            coin, need = quote, (order.qty if order.quote_qty else order.qty * order.price)
        else:
            coin, need = base, order.qty
        if need > self.available(coin, exclude=order):
            raise Reject(TradeRetCode.INSUFFICIENT_BALANCE, "ab not enough for new order")

    def lock_funds(self, order: PaperOrder) -> None:
        """Hold what a resting spot order may spend."""
        if order.category == "spot" and order.price is not None:
            base, quote = self.coins(order)
            order.locked = (quote, order.qty * order.price) if order.side == "Buy" else (base, order.qty)

    def unlock_funds(self, order: PaperOrder) -> None:
        """Release what ``order`` holds."""
        order.locked = None

    # ------------------------------------------------------------------------------------------ fills
    def settle(
        self, order: PaperOrder, qty: Decimal, price: Decimal, value: Decimal, rate: Decimal, now: int
    ) -> tuple[Decimal, str, Decimal, Decimal]:
        """Book a fill of ``qty`` at ``price`` (``value``, fee ``rate``) in the wallet and position:
        (fee, fee coin, realised pnl before fees, closed size)."""
        base, quote = self.coins(order)
        pnl = closed = _ZERO
        if order.category == "linear":
            fee, fee_coin = coin_amount(value * rate), quote
            pnl, closed = self._trade_position(order, qty, price, fee, now)
            pnl = coin_amount(pnl)
            self._book(quote, pnl - fee)
        elif order.side == "Buy":  # spot: a buy pays its fee in the base coin, a sell in the quote coin
            fee, fee_coin = coin_amount(qty * rate), base
            self._book(base, qty - fee)
            self._book(quote, -value)
        else:
            fee, fee_coin = coin_amount(value * rate), quote
            self._book(base, -qty)
            self._book(quote, value - fee)
        return fee, fee_coin, pnl, closed

    def _book(self, coin: str, amount: Decimal) -> None:
        """Add ``amount`` to ``coin``'s balance, at the wallet's precision."""
        self._wallet[coin] = coin_amount(self._wallet.get(coin, _ZERO) + amount)

    def _trade_position(
        self, order: PaperOrder, qty: Decimal, price: Decimal, fee: Decimal, now: int
    ) -> tuple[Decimal, Decimal]:
        """Apply a linear fill to its position: (realised pnl before fees, closed size)."""
        key = (order.symbol, order.position_idx)
        position = self._positions.get(key)
        if position is None:
            position = PaperPosition("linear", order.symbol, order.position_idx, self._leverage, now)
            self._positions[key] = position
        signed = qty if order.side == "Buy" else -qty
        pnl = closed = _ZERO
        if position.size and (position.size > 0) != (signed > 0):
            closed = min(qty, abs(position.size))
            pnl = closed * (price - position.entry) * (1 if position.size > 0 else -1)
            rest = qty - closed
            position.size += signed
            if not position.size:
                position.entry = _ZERO
            elif rest:
                position.entry = price  # the fill went through zero: the new position's entry
        else:
            total = abs(position.size) + qty
            position.entry = (abs(position.size) * position.entry + qty * price) / total
            position.size += signed
        position.cur_realised += pnl - fee
        position.cum_realised += pnl - fee
        position.updated = now
        return pnl, closed

    # ------------------------------------------------------------------------------------------ frames
    def position_frame(self, order: PaperOrder, seq: int, now: int) -> dict[str, Any]:
        """The ``position`` frame of a linear order's position."""
        position = self._positions[(order.symbol, order.position_idx)]
        wire = position.wire(self._prices.get(order.symbol), seq)
        return private_frame("position", [wire], now)

    def order_wallet_frame(self, order: PaperOrder, now: int) -> dict[str, Any]:
        """The ``wallet`` frame of the coins `order` trades: pushed when it rests (margin or funds
        reserved), is cancelled (released) or fills (settled), as live pushes it."""
        return self.wallet_frame(sorted(set(self.coins(order))), now)

    def wallet_frame(self, coins: list[str], now: int) -> dict[str, Any]:
        """The ``wallet`` frame of ``coins``."""
        rows = []
        for coin in coins:
            balance = self._wallet.get(coin, _ZERO)
            usd = balance if coin in ("USDT", "USDC") else balance * self._prices.get(f"{coin}USDT", _ZERO)
            held = (o.locked[1] for o in self._orders.values() if o.locked and o.locked[0] == coin)
            available = max(self.available(coin), _ZERO)
            amounts = [coin_amount(x) for x in (balance, usd, available, sum(held, _ZERO))]
            rows.append(CoinRow(coin, amounts[0], amounts[1], amounts[2], amounts[3], *self.margins(coin)))
        return private_frame("wallet", [wallet_account(rows)], now)
