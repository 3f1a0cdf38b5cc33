"""Two traders for the isolation walk: A, who owns one of everything, and B, who owns little.

Every private object of A carries a marker string (MARK) in a field that its
pages show (tags, labels, names, notes), so a page of B's that shows any of them
has leaked it. `snapshot(a)` is every row of A's, to compare before and after.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Model

from accounts.models import ApiKey, TradingAccount, User
from accounts.selectors import default_account_for
from accounts.services import api_key_create
from brokers.models import BrokerAccount
from core import clock
from marketdata.models import Instrument, WatchlistItem
from notifications.models import Delivery, Notification, NotificationPreference, StreamCursor, StreamEvent
from orders.books import AccountBooks, risk_usage_verify
from orders.models import (
    ExternalOrder,
    Funds,
    LedgerEntry,
    Order,
    OrderEvent,
    OrderStatus,
    Position,
    PositionMismatch,
    Trade,
)
from orders.services import account_open, order_place, paper_account_open
from risk.models import RiskEvent, RiskProfile
from strategies import services as strategy_services
from strategies.models import Backtest, StrategyRun, StrategyRunOrder, Sweep, SweepResult
from tests.accounts.factories import UserFactory
from tests.marketdata.factories import InstrumentFactory
from tests.orders.conftest import params, set_quote
from tests.strategies.factories import candles_create

MARK = "leakA"  # in every private text of A's
INSTRUMENT_MARK = "LEAKI-EQ"  # the instrument only A trades and watches: public, but B's own pages never show it
BACKTEST = {
    "strategy": "sma_crossover",
    "params": {"fast": 5, "slow": 20},
    "symbols": ["NSE:SBIN-EQ"],
    "interval": "1d",
    "start": "2023-01-01",
    "end": "2023-12-31",
    "initial_cash": "1000000",
    "costs": {"model": "india", "product": "CNC"},
    "sizing": {"mode": "percent_equity", "value": 100},
}


@dataclass
class World:
    a: User
    b: User
    other: TradingAccount | None = None  # A's second account, empty: the walk as A with it chosen
    ids: dict[str, list] = field(default_factory=dict)  # id source name -> A's ids of that kind
    instrument: Instrument | None = None  # on A's watchlist and in A's position; public itself


def _orders(a: User, sbin: Instrument) -> list[Order]:
    """A's orders, one in each of several states."""
    orders = []
    for n, status in enumerate([OrderStatus.NEW, OrderStatus.OPEN, OrderStatus.FILLED, OrderStatus.CANCELLED]):
        order, _ = order_place(
            user=a,
            instrument=sbin,
            params=params(order_type="LIMIT", price="700.00", quantity=1),
            client_order_id=f"{MARK}-order-{n}",
            tag=f"{MARK}-order-{n}",
        )
        Order.objects.filter(pk=order.pk).update(status=status, broker_order_id=f"{MARK}-broker-{n}")
        order.refresh_from_db()
        orders.append(order)
    risk_usage_verify([default_account_for(a).id])  # statuses set behind the books: their running usage from the rows
    return orders


def _trading_records(a: User, sbin: Instrument, filled: Order) -> None:
    account = default_account_for(a)
    now = clock.now()
    Trade.objects.create(
        order=filled,
        account=account,
        instrument=sbin,
        side="BUY",
        product="CNC",
        quantity=1,
        price=Decimal("700.00"),
        broker_trade_id=f"{MARK}-trade-1",
        executed_at=now,
    )
    with AccountBooks.locked(account.id) as books:
        books.position_fill(instrument_id=sbin.id, product="CNC", side="BUY", quantity=1, price=Decimal("700"))
    funds = Funds.objects.get(account=account)
    LedgerEntry.objects.create(
        account=account,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=Decimal("0"),
        balance_after=funds.cash,
        note=f"{MARK}-ledger",
    )
    ExternalOrder.objects.create(
        account=account,
        broker_order_id=f"{MARK}-external-1",
        tag=f"{MARK}-ext",
        exchange="NSE",
        symbol=sbin.symbol,
        status="open",
        message=f"{MARK}-external",
        first_seen_at=now,
    )
    Notification.objects.create(
        user=a, account=account, code="order_rejected", message=f"{MARK}-notification", order_id=filled.id
    )
    # About her rather than an account (a login lock-out): shown whichever of her accounts is chosen.
    Notification.objects.create(user=a, code="account_locked", message=f"{MARK}-about-her")
    PositionMismatch.objects.create(
        account=account,
        exchange="NSE",
        symbol=sbin.symbol,
        product="CNC",
        platform_quantity=1,
        broker_quantity=2,
        detected_at=now,
        last_seen_at=now,
    )


def _strategy_runs(a: User) -> tuple[Backtest, Sweep]:
    backtest = strategy_services.backtest_create(user=a, label=f"{MARK}-backtest", **BACKTEST)
    sweep = strategy_services.sweep_create(user=a, grid={"fast": [5, 10]}, label=f"{MARK}-sweep", **BACKTEST)
    return backtest, sweep


def _strategy_run(a: User, order: Order) -> StrategyRun:
    run = StrategyRun.objects.create(
        user=a,
        account=default_account_for(a),
        strategy="sma_crossover",
        params={"fast": 5, "slow": 20},
        symbols=["NSE:SBIN-EQ"],
        interval="1m",
        account_mode="paper",
        status="RUNNING",
        logs=[f"{MARK}-run-log"],
    )
    StrategyRunOrder.objects.create(run=run, order=order, tag=f"{MARK}-run")
    return run


def _notification_preferences(a: User) -> None:
    account = default_account_for(a)
    NotificationPreference.objects.create(
        user=a, account=account, events=["fills"], channels=["email"], email=f"{MARK}-pref@example.com"
    )
    Delivery.objects.create(
        user=a,
        account=account,
        channel="email",
        event="orders.filled",
        target=f"{MARK}@example.com",
        subject=f"{MARK}-delivery",
        status="sent",
    )


def _broker_account(a: User) -> BrokerAccount:
    return BrokerAccount.objects.create(
        account=default_account_for(a),
        client_code="LEAKA01",
        static_ip="203.0.113.7",
        api_key=f"{MARK}-broker-key",
        pin="864209",
        totp_secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU",
    )


def world_build() -> World:
    """B first, then A: A's objects are the newest of every kind, as a fresh leak would be."""
    b = UserFactory(username="trader-b")
    account_open(user=b, starting_funds=Decimal("1000000"), always_open=True)
    a = UserFactory(username=f"{MARK}-trader")
    account_open(user=a, starting_funds=Decimal("1000000"), always_open=True)
    sbin = Instrument.objects.get(exchange="NSE", symbol="SBIN-EQ")
    if not sbin.candles.exists():
        candles_create(sbin, count=300)  # for the backtest and the sweep
    InstrumentFactory(symbol=INSTRUMENT_MARK, name="Leak Instrument")
    mine = set_quote("NSE", INSTRUMENT_MARK, "700.00", bid="699.95", ask="700.05")
    orders = _orders(a, mine)
    _trading_records(a, mine, orders[2])
    backtest, sweep = _strategy_runs(a)
    key, _ = api_key_create(user=a, name=f"{MARK}-key", scopes=["read", "trade"])
    WatchlistItem.objects.create(user=a, instrument=mine)
    _broker_account(a)
    run = _strategy_run(a, orders[0])
    _notification_preferences(a)
    other = paper_account_open(user=a, name=f"{MARK}-second")
    TradingAccount.objects.filter(pk=other.pk).update(always_open=True)
    world = World(a=a, b=b, instrument=mine, other=other)
    world.ids = {
        "order": [o.id for o in orders],
        "backtest": [backtest.id],
        "sweep": [sweep.id],
        "api_key": [key.id],
        "run": [run.id],
        "account": [default_account_for(a).id, other.id],
        "instrument": [mine.id],
        "instrument_symbol": [(mine.exchange, mine.symbol)],
    }
    return world


# Every row that belongs to a user, found from the user; the walk compares them before and after.
OWNED_ROWS = {
    User: lambda a: User.objects.filter(pk=a.pk).defer("last_login"),
    TradingAccount: lambda a: TradingAccount.objects.filter(user=a),
    ApiKey: lambda a: ApiKey.objects.filter(user=a).defer("last_used_at", "last_used_ip"),
    BrokerAccount: lambda a: BrokerAccount.objects.filter(account__user=a),
    Order: lambda a: Order.objects.filter(user=a),
    OrderEvent: lambda a: OrderEvent.objects.filter(order__user=a),
    Trade: lambda a: Trade.objects.filter(account__user=a),
    Position: lambda a: Position.objects.filter(account__user=a),
    Funds: lambda a: Funds.objects.filter(account__user=a),
    LedgerEntry: lambda a: LedgerEntry.objects.filter(account__user=a),
    ExternalOrder: lambda a: ExternalOrder.objects.filter(account__user=a),
    PositionMismatch: lambda a: PositionMismatch.objects.filter(account__user=a),
    Notification: lambda a: Notification.objects.filter(user=a),
    RiskProfile: lambda a: RiskProfile.objects.filter(account__user=a),
    RiskEvent: lambda a: RiskEvent.objects.filter(account__user=a),
    Backtest: lambda a: Backtest.objects.filter(user=a),
    Sweep: lambda a: Sweep.objects.filter(user=a),
    SweepResult: lambda a: SweepResult.objects.filter(sweep__user=a),
    WatchlistItem: lambda a: WatchlistItem.objects.filter(user=a),
    StrategyRun: lambda a: StrategyRun.objects.filter(user=a),
    StrategyRunOrder: lambda a: StrategyRunOrder.objects.filter(run__user=a),
    NotificationPreference: lambda a: NotificationPreference.objects.filter(user=a),
    Delivery: lambda a: Delivery.objects.filter(user=a),
    StreamEvent: lambda a: StreamEvent.objects.filter(user=a),
    StreamCursor: lambda a: StreamCursor.objects.filter(user=a),
}


def snapshot(a: User) -> dict[str, list[dict]]:
    rows = {}
    for model, query in OWNED_ROWS.items():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in {"last_login", "last_used_at", "last_used_ip", "updated_at"}
        ]
        rows[model.__name__] = list(query(a).order_by("pk").values(*fields))
    return rows


# Links to a user that do not make the row the user's: the staff member who acknowledged an operator alert.
OPERATOR_LINKS = {"acknowledged_by"}


USER_APPS = {"accounts", "orders", "brokers", "marketdata", "strategies", "monitoring", "notifications"}


def user_owned_models() -> set[type[Model]]:
    """Models with a direct link to a user or a trading account: each must be in OWNED_ROWS."""
    from django.apps import apps

    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in USER_APPS:
            continue
        for f in model._meta.concrete_fields:
            if f.name in OPERATOR_LINKS:
                continue
            if f.is_relation and f.related_model in {User, TradingAccount, Order, Backtest, Sweep, StrategyRun}:
                found.add(model)
    return found


# The rows of one trading account: what A acting on her other account must leave as they were.
ACCOUNT_ROWS = {
    BrokerAccount: lambda account: BrokerAccount.objects.filter(account=account),
    Order: lambda account: Order.objects.filter(account=account),
    OrderEvent: lambda account: OrderEvent.objects.filter(order__account=account),
    Trade: lambda account: Trade.objects.filter(account=account),
    Position: lambda account: Position.objects.filter(account=account),
    Funds: lambda account: Funds.objects.filter(account=account),
    LedgerEntry: lambda account: LedgerEntry.objects.filter(account=account),
    ExternalOrder: lambda account: ExternalOrder.objects.filter(account=account),
    PositionMismatch: lambda account: PositionMismatch.objects.filter(account=account),
    RiskProfile: lambda account: RiskProfile.objects.filter(account=account),
    RiskEvent: lambda account: RiskEvent.objects.filter(account=account),
    StrategyRun: lambda account: StrategyRun.objects.filter(account=account),
    StrategyRunOrder: lambda account: StrategyRunOrder.objects.filter(run__account=account),
    Notification: lambda account: Notification.objects.filter(account=account),
    NotificationPreference: lambda account: NotificationPreference.objects.filter(account=account),
    Delivery: lambda account: Delivery.objects.filter(account=account),
}


def account_snapshot(account: TradingAccount) -> dict[str, list[dict]]:
    rows = {}
    for model, query in ACCOUNT_ROWS.items():
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "updated_at"]
        rows[model.__name__] = list(query(account).order_by("pk").values(*fields))
    return rows
