"""Starting, stopping and bookkeeping strategy runs (the runner process does the trading).

Status changes are conditional updates: a stop requested while the runner is
mid-pass wins, and the runner's heartbeat never brings a stopped run back.
"""

from contextlib import suppress

from django.db import transaction

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core import clock
from core.errors import Conflict, DomainError, RuleViolation
from core.events import publish
from marketdata.intervals import INTERVALS
from marketdata.models import Instrument
from orders import services as order_services
from orders.models import TERMINAL, Order
from strategies import conf
from strategies.engine.sizing import sizing_from
from strategies.errors import SpecInvalid
from strategies.events import StrategyRunFailed
from strategies.models import ACTIVE, LiveStatus, StrategyRun
from strategies.registry import strategy_get
from strategies.spec import instruments_resolve

PRODUCTS = ("CNC", "MIS", "NRML")
DEFAULT_SIZING = {"mode": "fixed_quantity", "value": 1}


def _product(product: str | None, instruments: list[Instrument]) -> str:
    if not product:
        derivatives = {i.is_derivative for i in instruments}
        if len(derivatives) > 1:
            raise SpecInvalid(
                "Give `product`: the instruments mix equity and derivatives.", code="product_required", field="product"
            )
        return "NRML" if derivatives == {True} else "CNC"
    if product not in PRODUCTS:
        raise SpecInvalid(f"`product` must be one of {', '.join(PRODUCTS)}.", field="product")
    for instrument in instruments:
        allowed = ("MIS", "NRML") if instrument.is_derivative else ("CNC", "MIS")
        if product not in allowed:
            raise SpecInvalid(
                f"product {product} does not apply to {instrument.key} (use {' or '.join(allowed)}).",
                code="product_not_allowed",
                field="product",
            )
    return product


def run_spec(*, strategy, params=None, symbols, interval, sizing=None, product=None) -> dict:
    """The run's inputs checked like a backtest's (same codes), as the StrategyRun row keeps them."""
    cls = strategy_get(strategy)
    clean = cls.clean_params(params)
    instruments = instruments_resolve(symbols)
    if interval not in INTERVALS:
        raise SpecInvalid(
            f"`interval` must be one of {', '.join(INTERVALS)}.", code="invalid_interval", field="interval"
        )
    chosen = sizing_from(sizing or DEFAULT_SIZING)
    return {
        "strategy": cls.name,
        "params": clean,
        "symbols": [i.key for i in instruments],
        "interval": interval,
        "sizing": chosen.describe(),
        "product": _product(product, instruments),
    }


def run_create(*, user, account: TradingAccount | None = None, **inputs) -> StrategyRun:
    """A run on `account` (one of the user's; None: their default)."""
    spec = run_spec(**inputs)
    account = account if account is not None and account.user_id == user.pk else default_account_for(user)
    if account is None:
        raise RuleViolation("You have no trading account yet.", code="no_trading_account")
    if StrategyRun.objects.filter(user=user, status__in=ACTIVE).count() >= conf.max_runs():
        raise RuleViolation(f"At most {conf.max_runs()} strategy runs at once; stop one first.", code="too_many_runs")
    return StrategyRun.objects.create(
        user=user, account=account, account_mode=account.mode, started_at=clock.now(), **spec
    )


def run_stop(*, user, run: StrategyRun) -> StrategyRun:
    """Stops the run and cancels its working orders; its positions stay (square them off if you want)."""
    now = clock.now()
    changed = StrategyRun.objects.filter(id=run.id, status__in=ACTIVE).update(status=LiveStatus.STOPPED, stopped_at=now)
    if not changed:
        run.refresh_from_db()
        raise Conflict(f"Run #{run.id} is already {run.status}.", code="run_not_active")
    for order in Order.objects.filter(strategy_link__run=run).exclude(status__in=TERMINAL):
        with suppress(DomainError):  # already ending at the broker
            order_services.order_cancel(user=user, order=order, reason=f"Strategy run #{run.id} stopped")
    run.refresh_from_db()
    return run


def run_instruments(run: StrategyRun) -> list[Instrument]:
    return instruments_resolve(run.symbols)


def runs_active():
    return StrategyRun.objects.filter(status__in=ACTIVE).select_related("user").order_by("id")


def run_mark_running(*, run: StrategyRun, now) -> None:
    StrategyRun.objects.filter(id=run.id, status__in=ACTIVE).update(status=LiveStatus.RUNNING, heartbeat_at=now)


def run_beat(*, run: StrategyRun, state: dict, logs: list, now) -> None:
    StrategyRun.objects.filter(id=run.id, status__in=ACTIVE).update(state=state, logs=logs, heartbeat_at=now)


@transaction.atomic
def run_fail(*, run: StrategyRun, error: str) -> None:
    changed = StrategyRun.objects.filter(id=run.id, status__in=ACTIVE).update(
        status=LiveStatus.FAILED, error=error, stopped_at=clock.now()
    )
    if changed:
        event = StrategyRunFailed(account_id=None, run_id=run.id, strategy=run.strategy, error=error)
        transaction.on_commit(lambda: publish(event))
