"""The runner: loads the active runs, feeds each its closed bars and fills, writes its heartbeat.

`StrategyRunner.step()` does one pass over every run; `manage.py run_strategies`
calls it in a loop. It polls the candle table the feed writes (a bar is closed
once its interval has ended), which needs nothing but the database and survives
any restart. A strategy that raises fails its own run, never the runner.

On (re)loading a run: `on_start`, then its position rebuilt from its own fills,
then the bars it already saw (and any that closed while no runner watched) are
replayed with orders switched off, so indicators and the strategy's own state are
warm and no order is placed twice.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import DatabaseError

from accounts.selectors import account_get_for_user, default_account_for
from core import clock
from core.errors import DomainError, NotFound
from marketdata.intervals import from_epoch, interval_delta
from marketdata.models import Candle
from orders import services as order_services
from orders.models import TERMINAL, Funds, Order, Trade
from strategies import conf
from strategies.base import Fill
from strategies.engine.sizing import sizing_from
from strategies.indicators import to_micro
from strategies.models import StrategyRun, StrategyRunOrder
from strategies.positions import VirtualPosition
from strategies.registry import strategy_get
from strategies.services import runs as run_services

from .context import LiveContext, order_for_key

logger = logging.getLogger(__name__)
MAX_LOG_LINES = 200
BARS_PER_STEP = 500


class LiveRun:
    def __init__(self, row: StrategyRun) -> None:
        self.row = row
        self.sizing = sizing_from(row.sizing)
        self.warming_up = False
        self.bars: dict[str, int] = dict((row.state or {}).get("bars", {}))
        self.last_trade = int((row.state or {}).get("trade", 0))
        cls = strategy_get(row.strategy)
        instruments = run_services.run_instruments(row)
        self.contexts = {i.id: LiveContext(self, i, VirtualPosition()) for i in instruments}
        for ctx in self.contexts.values():
            ctx.strategy = cls(ctx, **row.params)

    # --- loading ---------------------------------------------------------------------------
    def start(self, now) -> None:
        for ctx in self.contexts.values():
            ctx.strategy.on_start()
        self._rebuild_positions()
        self.warming_up = True
        for ctx in self.contexts.values():
            self._warm_up(ctx, now)
        self.warming_up = False

    def _rebuild_positions(self) -> None:
        for trade in self._trades().filter(id__lte=self.last_trade):
            self.contexts[trade.instrument_id].vposition.apply(trade.side, trade.quantity, trade.price)

    def _warm_up(self, ctx: LiveContext, now) -> None:
        """The bars before the run's bookmark (a new run: every bar closed by now) only warm it up."""
        seen = self.bars.get(ctx.symbol)
        closed = self._closed(ctx, now)
        until = closed.filter(start__lte=from_epoch(seen)) if seen is not None else closed
        for candle in list(until.order_by("-start")[: ctx.strategy.warmup_bars()])[::-1]:
            self._bar(ctx, candle)
        if seen is None:  # a new run trades from the first bar that closes after it was loaded
            self.bars[ctx.symbol] = int(self._closed_until(now).timestamp())

    # --- one pass ------------------------------------------------------------------------------
    def step(self, now) -> None:
        self._check_account()
        self._fills()
        for ctx in self.contexts.values():
            seen = self.bars.get(ctx.symbol)
            new = self._closed(ctx, now)
            if seen is not None:
                new = new.filter(start__gt=from_epoch(seen))
            for candle in new.order_by("start")[:BARS_PER_STEP]:
                self._bar(ctx, candle)
                self.bars[ctx.symbol] = int(candle.start.timestamp())
                self._fills()

    def _closed_until(self, now):
        """The latest start of a closed bar: its interval has ended (and the feed has had a moment to write it)."""
        return now - interval_delta(self.row.interval) - timedelta(seconds=conf.run_bar_grace_seconds())

    def _closed(self, ctx: LiveContext, now):
        return Candle.objects.filter(
            instrument_id=ctx.instrument.id, interval=self.row.interval, start__lte=self._closed_until(now)
        )

    def _bar(self, ctx: LiveContext, candle: Candle) -> None:
        row = (
            float(candle.open),
            float(candle.high),
            float(candle.low),
            float(candle.close),
            float(candle.volume),
            int(candle.start.timestamp()),
            to_micro(candle.close),
        )
        ctx.feed(row)
        ctx.cause, ctx.placed_in_cause = f"b{row[5]}", 0
        ctx.strategy.on_bar(ctx.bar)

    def _fills(self) -> None:
        for trade in self._trades().filter(id__gt=self.last_trade).select_related("order__strategy_link"):
            ctx = self.contexts[trade.instrument_id]
            ctx.vposition.apply(trade.side, trade.quantity, trade.price)
            self.last_trade = trade.id
            link = trade.order.strategy_link
            if not ctx.vposition.quantity:
                self._cancel_reduce_only(ctx)
            ctx.cause, ctx.placed_in_cause = f"f{trade.id}", 0
            ctx.strategy.on_fill(
                Fill(trade.order_id, trade.side, trade.quantity, trade.price, Decimal(0), trade.executed_at, link.tag)
            )

    def _cancel_reduce_only(self, ctx: LiveContext) -> None:
        """Flat again: exits still resting (the other leg of a bracket) would open a new position."""
        for order in (
            self.orders_for(ctx.instrument).filter(strategy_link__reduce_only=True).exclude(status__in=TERMINAL)
        ):
            ctx.cancel(order)

    def _account(self):
        if self.row.account_id is None:
            return default_account_for(self.row.user)
        try:
            return account_get_for_user(user=self.row.user, account_id=self.row.account_id)
        except NotFound:
            return None

    def _check_account(self) -> None:
        account = self._account()
        if account is None or account.mode != self.row.account_mode:
            raise RuntimeError(
                f"the account is no longer {self.row.account_mode}: the run stops rather than trade "
                "on a different account than it was started on"
            )

    # --- what contexts ask of the run -------------------------------------------------
    def _trades(self):
        return Trade.objects.filter(order__strategy_link__run_id=self.row.id).order_by("id")

    def orders_for(self, instrument):
        return Order.objects.filter(strategy_link__run_id=self.row.id, instrument_id=instrument.id)

    def place(self, ctx: LiveContext, params, *, key: str, tag: str, reduce_only: bool):
        link = {"run": self.row, "tag": tag, "reduce_only": reduce_only}
        try:
            order, _ = order_services.order_place(
                user=self.row.user,
                account=self._account(),
                instrument=ctx.instrument,
                params=params,
                client_order_id=key,
                tag=self.row.tag,
                source="strategy",
            )
        except DomainError as exc:  # refused (risk, funds, market hours): the strategy goes on, the log says why
            ctx.log(f"{params.side} {params.quantity} refused: {exc.message} ({exc.code})")
            refused = order_for_key(self.row.user, key)  # a refusal the risk checks kept in the book
            if refused is not None:
                StrategyRunOrder.objects.get_or_create(order=refused, defaults=link)
            return None
        StrategyRunOrder.objects.get_or_create(order=order, defaults=link)
        return order

    def available_funds(self) -> Decimal:
        account = self._account()
        funds = Funds.objects.filter(account=account).first() if account is not None else None
        return funds.available if funds else Decimal(0)

    def positions_value(self) -> Decimal:
        return sum(
            (ctx.vposition.quantity * (ctx.last_price or Decimal(0)) for ctx in self.contexts.values()), Decimal(0)
        )

    def log(self, line: str) -> None:
        logs = self.row.logs
        logs.append(line)
        del logs[:-MAX_LOG_LINES]

    def stop(self) -> None:
        for ctx in self.contexts.values():
            ctx.strategy.on_stop()

    def bookmark(self) -> dict:
        return {"bars": self.bars, "trade": self.last_trade}


class StrategyRunner:
    """Holds the loaded runs of this process; `step()` is one pass (tests call it directly)."""

    def __init__(self) -> None:
        self.loaded: dict[int, LiveRun] = {}

    def step(self) -> int:
        now = clock.now()
        rows = {r.id: r for r in run_services.runs_active()}
        for run_id in [i for i in self.loaded if i not in rows]:
            self._unload(run_id)
        for row in rows.values():
            self._step_one(row, now)
        return len(self.loaded)

    def _step_one(self, row: StrategyRun, now) -> None:
        live = self.loaded.get(row.id)
        if live is not None:
            live.row = row  # fresh from the database (its logs, its user)
        try:
            if live is None:
                live = LiveRun(row)
                live.start(now)
                self.loaded[row.id] = live
                run_services.run_mark_running(run=row, now=now)
            live.step(now)
        except DatabaseError:
            self.loaded.pop(row.id, None)  # the database, not the strategy: the command retries on the next pass
            raise
        except Exception as exc:  # a strategy's bug (or a refusal it did not expect) ends its run only
            logger.exception("strategy run %s failed", row.id)
            self.loaded.pop(row.id, None)
            run_services.run_fail(run=row, error=f"{type(exc).__name__}: {exc}"[:1000])
            return
        run_services.run_beat(run=row, state=live.bookmark(), logs=row.logs, now=now)

    def _unload(self, run_id: int) -> None:
        live = self.loaded.pop(run_id)
        try:
            live.stop()
        except Exception:
            logger.exception("on_stop of strategy run %s raised", run_id)
