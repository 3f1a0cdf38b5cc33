"""Every read in orders that is more than a .get. Everything is scoped to the caller."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core.clock import IST, ist_date
from core.errors import NotFound
from marketdata.quotes import is_stale, quotes_get
from risk.overview import RiskOverview, risk_overview_for

from .books import usage_of_account
from .models import TERMINAL, Funds, LedgerEntry, Order, OrderEvent, Position, Trade


def account_id_for(user, account: TradingAccount | None) -> int | None:
    """The id of the account a read is scoped to: `account` (one of the user's), else the user's default.

    None when the user has no account yet (nothing then matches). Orders of another of the user's
    accounts are never read through this one: every read below goes through here."""
    if account is None:
        account = default_account_for(user)
        return None if account is None else account.id
    if account.user_id != user.pk:
        raise NotFound(f"You have no trading account #{account.pk}.", code="account_not_found")
    return account.id


def order_get_for_user(*, user, order_id: int, account: TradingAccount | None = None) -> Order:
    scope = {"user": user, "account_id": account_id_for(user, account)}
    order = Order.objects.select_related("instrument").filter(id=order_id, **scope).first()
    if order is None:
        raise NotFound(f"You have no order #{order_id}.", code="order_not_found")
    return order


def order_list_for_user(
    *,
    user,
    statuses: list[str] = (),
    exchange: str = "",
    symbol: str = "",
    day: date | None = None,
    open_only: bool = False,
    account: TradingAccount | None = None,
) -> QuerySet[Order]:
    qs = Order.objects.filter(user=user, account_id=account_id_for(user, account)).select_related("instrument")
    if statuses:
        qs = qs.filter(status__in=statuses)
    if open_only:
        qs = qs.exclude(status__in=TERMINAL)
    if symbol:
        qs = qs.filter(instrument__symbol=symbol)
    if exchange:
        qs = qs.filter(instrument__exchange=exchange)
    if day:
        start = datetime.combine(day, time(0), IST)
        qs = qs.filter(created_at__gte=start, created_at__lt=datetime.combine(day, time.max, IST))
    return qs.order_by("-created_at", "-id")


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return order.events.order_by("at", "id")


def trades_for_user(*, user, symbol: str = "", account: TradingAccount | None = None) -> QuerySet[Trade]:
    scope = {"order__user": user, "account_id": account_id_for(user, account)}
    qs = Trade.objects.filter(**scope).select_related("instrument", "order")
    if symbol:
        qs = qs.filter(instrument__symbol=symbol)
    return qs.order_by("-executed_at", "-id")


def trades_for_order(*, order: Order) -> QuerySet[Trade]:
    return order.trades.select_related("instrument").order_by("executed_at", "id")


@dataclass(frozen=True)
class PositionView:
    position: Position
    ltp: Decimal | None
    unrealised_pnl: Decimal | None
    stale: bool

    @property
    def open_quantity(self) -> int:
        """What closing the position takes, in units (long or short)."""
        return abs(self.position.net_quantity)

    @property
    def total_pnl(self) -> Decimal | None:
        if self.unrealised_pnl is None:
            return None
        return self.position.realised_pnl + self.unrealised_pnl


def positions_for_user(
    *, user, include_closed: bool = True, account: TradingAccount | None = None
) -> list[PositionView]:
    """Open positions, and (with include_closed) those closed today, IST: yesterday's flat ones are history."""
    qs = Position.objects.filter(account_id=account_id_for(user, account))
    qs = qs.select_related("instrument").order_by("instrument__symbol")
    if include_closed:
        today = datetime.combine(ist_date(), time(0), IST)
        qs = qs.exclude(net_quantity=0, updated_at__lt=today)
    else:
        qs = qs.exclude(net_quantity=0)
    positions = list(qs)
    found, _ = quotes_get([p.instrument_id for p in positions])
    views = []
    for p in positions:
        quote = found.get(p.instrument_id)
        ltp = quote.ltp if quote else None
        unrealised = None
        if p.net_quantity == 0:
            unrealised = Decimal(0)
        elif ltp is not None:
            unrealised = ((ltp - p.average_price) * p.net_quantity).quantize(Decimal("0.01"))
        views.append(PositionView(p, ltp, unrealised, quote is None or is_stale(quote)))
    return views


@dataclass(frozen=True)
class FundsView:
    funds: Funds
    realised_pnl: Decimal
    unrealised_pnl: Decimal

    @property
    def available(self) -> Decimal:
        return self.funds.available


def funds_for_user(*, user, account: TradingAccount | None = None) -> FundsView:
    account_id = account_id_for(user, account)
    funds = Funds.objects.filter(account_id=account_id).first() if account_id else None
    if funds is None:
        raise NotFound("You have no trading account yet.", code="no_trading_account")
    views = positions_for_user(user=user, account=account)
    realised = sum((v.position.realised_pnl for v in views), Decimal(0))
    unrealised = sum((v.unrealised_pnl or Decimal(0) for v in views), Decimal(0))
    return FundsView(funds, realised, unrealised)


def funds_by_account_for_user(*, user) -> dict[int, Funds]:
    """Each of the user's accounts' funds row, by account id (one query: the Accounts page's cash and available)."""
    return {funds.account_id: funds for funds in Funds.objects.filter(account__user_id=user.pk)}


def ledger_for_user(*, user, account: TradingAccount | None = None) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(account_id=account_id_for(user, account)).order_by("-created_at", "-id")


def instruments_in_play() -> set[int]:
    """Instruments with working orders or open positions: the feed must keep them ticking."""
    open_orders = Order.objects.exclude(status__in=TERMINAL).values_list("instrument_id", flat=True).distinct()
    held = Position.objects.exclude(net_quantity=0).values_list("instrument_id", flat=True).distinct()
    return set(open_orders) | set(held)


@dataclass(frozen=True)
class HoldingView:
    """A delivery (CNC) holding valued at the last price; day change against the previous close."""

    position: Position
    ltp: Decimal | None
    previous_close: Decimal | None
    stale: bool

    @property
    def invested(self) -> Decimal:
        return (self.position.net_quantity * self.position.average_price).quantize(CENTS)

    @property
    def current_value(self) -> Decimal | None:
        return None if self.ltp is None else (self.position.net_quantity * self.ltp).quantize(CENTS)

    @property
    def pnl(self) -> Decimal | None:
        return None if self.ltp is None else self.current_value - self.invested

    @property
    def pnl_percent(self) -> Decimal | None:
        return _percent(self.pnl, self.invested)

    @property
    def day_change(self) -> Decimal | None:
        if self.ltp is None or self.previous_close is None:
            return None
        return ((self.ltp - self.previous_close) * self.position.net_quantity).quantize(CENTS)

    @property
    def day_change_percent(self) -> Decimal | None:
        if self.previous_close is None or self.ltp is None:
            return None
        return _percent(self.ltp - self.previous_close, self.previous_close)


CENTS = Decimal("0.01")


def _percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (part * 100 / whole).quantize(CENTS)


def holdings_for_user(*, user, account: TradingAccount | None = None) -> list[HoldingView]:
    """Delivery shares held (CNC, long), by symbol, at the last price."""
    positions = list(
        Position.objects.filter(account_id=account_id_for(user, account), product="CNC", net_quantity__gt=0)
        .select_related("instrument")
        .order_by("instrument__symbol")
    )
    found, _ = quotes_get([p.instrument_id for p in positions])
    views = []
    for p in positions:
        quote = found.get(p.instrument_id)
        ltp, close = (quote.ltp, quote.close) if quote else (None, None)
        views.append(HoldingView(p, ltp, close, quote is None or is_stale(quote)))
    return views


def external_orders_for_user(*, user, account: TradingAccount | None = None):
    """Orders at the account's broker that the platform did not place."""
    from .models import ExternalOrder

    return ExternalOrder.objects.filter(account_id=account_id_for(user, account))


def risk_overview_of(account_id: int) -> RiskOverview:
    """The account's limits beside what it uses of each (the risk panel, GET /api/v1/risk/)."""
    usage = usage_of_account(account_id)
    largest_position = max((abs(q) * p for q, p in usage.positions.values()), default=Decimal(0))
    return risk_overview_for(account_id, usage=usage, largest_position=largest_position)
