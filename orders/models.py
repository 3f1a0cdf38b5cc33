from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import TradingAccount
from brokers.base import OrderType, Product, Side, Validity
from core import clock
from marketdata.models import Instrument

MONEY = {"max_digits": 20, "decimal_places": 4}


def clock_now():
    """core.clock.now, looked up at each call (tests replace it)."""
    return clock.now()


PRICE = {"max_digits": 18, "decimal_places": 6}


class OrderStatus(models.TextChoices):
    NEW = "NEW"
    SUBMITTED = "SUBMITTED"
    OPEN = "OPEN"
    TRIGGER_PENDING = "TRIGGER_PENDING"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    MODIFY_PENDING = "MODIFY_PENDING"
    CANCEL_PENDING = "CANCEL_PENDING"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


TERMINAL = {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
# Live at the broker: can fill, be modified or cancelled.
WORKING = {
    OrderStatus.OPEN,
    OrderStatus.TRIGGER_PENDING,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.MODIFY_PENDING,
    OrderStatus.CANCEL_PENDING,
}


class Order(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    account = models.ForeignKey(TradingAccount, on_delete=models.PROTECT, related_name="orders")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.PositiveIntegerField()
    order_type = models.CharField(max_length=6, choices=OrderType.choices)
    product = models.CharField(max_length=4, choices=Product.choices)
    validity = models.CharField(max_length=3, choices=Validity.choices, default=Validity.DAY)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    trigger_price = models.DecimalField(**PRICE, null=True, blank=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True)
    filled_quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(**PRICE, null=True, blank=True)
    client_order_id = models.CharField(max_length=64, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    broker_order_id = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    tag = models.CharField(max_length=20, blank=True, help_text="The trader's own label.")
    rejection_code = models.CharField(max_length=64, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    # Funds blocked for the unfilled part of this order; released as it fills or ends.
    reserved_amount = models.DecimalField(**MONEY, default=Decimal(0))
    # Requested but not yet confirmed by the broker (PATCH): applied when it confirms.
    pending_changes = models.JSONField(null=True, blank=True)
    # When a worker took the pending modification or cancellation to the broker: a task delivered again
    # meanwhile finds it taken and sends nothing. Cleared when the order leaves the pending status.
    request_sent_at = models.DateTimeField(null=True, blank=True)
    # A cancel asked for while the broker was still answering (placement, modification): {"reason", "actor"},
    # sent as soon as the order is working at the broker again.
    queued_cancel = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=16, default="api", help_text="api, dashboard, system, strategy, square_off")
    submit_attempts = models.PositiveIntegerField(default=0)
    # The price its value was checked at when placed (the limit, the trigger, or the market plus a buffer):
    # what an open MARKET order counts at in the account's open-order value (risk usage on Funds).
    check_price = models.DecimalField(**PRICE, null=True, blank=True, editable=False)
    # The platform's clock (tests move it): risk's order-rate windows count by this time.
    created_at = models.DateTimeField(default=clock_now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client_order_id"],
                condition=Q(client_order_id__isnull=False),
                name="order_user_client_order_id",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(filled_quantity__lte=models.F("quantity")), name="order_fill_le_qty"),
            models.CheckConstraint(condition=Q(reserved_amount__gte=0), name="order_reserved_non_negative"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_created"),
            models.Index(fields=["status", "updated_at"], name="order_status_updated"),
            models.Index(fields=["account", "created_at"], name="order_account_created"),  # risk's rate counts
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.side} {self.quantity} {self.instrument_id} {self.status}"

    @property
    def broker_tag(self) -> str:
        """How the broker knows this order (Angel One's ordertag: under 20 characters)."""
        return f"T{self.id}"

    @property
    def pending_quantity(self) -> int:
        return self.quantity - self.filled_quantity

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def cancel_requested(self) -> bool:
        """A cancel is on its way to the broker, or waits for the broker's answer to an earlier request."""
        return bool(self.queued_cancel) or self.status == OrderStatus.CANCEL_PENDING


class OrderEvent(models.Model):
    """One row per transition: the order's full history."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=64, help_text="user:<name>, worker, broker, system, reconciler")
    data = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"


class Trade(models.Model):
    """A fill reported by the broker."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="trades")
    account = models.ForeignKey(TradingAccount, on_delete=models.PROTECT, related_name="trades")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    product = models.CharField(max_length=4, choices=Product.choices)
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**PRICE)
    broker_trade_id = models.CharField(max_length=64)
    executed_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-executed_at", "-id"]
        constraints = [
            # The same fill reported twice (stream and reconciliation) is applied once.
            models.UniqueConstraint(fields=["account", "broker_trade_id"], name="trade_account_broker_trade"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="trade_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.quantity}@{self.price}"


class Position(models.Model):
    account = models.ForeignKey(TradingAccount, on_delete=models.PROTECT, related_name="positions")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=4, choices=Product.choices)
    net_quantity = models.IntegerField(default=0, help_text="Positive long, negative short.")
    average_price = models.DecimalField(**PRICE, default=Decimal(0), help_text="Of the open quantity.")
    realised_pnl = models.DecimalField(**MONEY, default=Decimal(0))
    buy_quantity = models.PositiveIntegerField(default=0)
    sell_quantity = models.PositiveIntegerField(default=0)
    buy_value = models.DecimalField(**MONEY, default=Decimal(0))
    sell_value = models.DecimalField(**MONEY, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "instrument", "product"]
        constraints = [
            models.UniqueConstraint(fields=["account", "instrument", "product"], name="position_account_instrument"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.product} {self.net_quantity}"


class Funds(models.Model):
    """The account's money. cash = sum of the ledger; margin_used and reserved are blocks, not movements."""

    account = models.OneToOneField(TradingAccount, on_delete=models.PROTECT, related_name="funds")
    cash = models.DecimalField(**MONEY, default=Decimal(0))
    reserved = models.DecimalField(**MONEY, default=Decimal(0), help_text="Blocked for open orders.")
    margin_used = models.DecimalField(**MONEY, default=Decimal(0), help_text="Blocked for open positions.")
    # What the account uses of its risk limits, as running totals kept under this row's lock by every
    # transaction that moves its orders or money: the checks read them, not count them. Every field of this
    # row is written by the account's books only, and what each means is written there (orders/books/).
    open_orders = models.PositiveIntegerField(default=0, help_text="Orders not yet filled, cancelled or rejected.")
    open_order_value = models.DecimalField(**MONEY, default=Decimal(0), help_text="Their unfilled value.")
    usage_day = models.DateField(null=True, blank=True, help_text="The IST trading day the day's counts are for.")
    orders_today = models.PositiveIntegerField(default=0)
    realised_today = models.DecimalField(**MONEY, default=Decimal(0), help_text="Realised P&L today.")
    # Orders in the current clock second and minute (the windows the per-second/minute limits count in).
    second_window = models.DateTimeField(null=True, blank=True)
    orders_in_second = models.PositiveIntegerField(default=0)
    minute_window = models.DateTimeField(null=True, blank=True)
    orders_in_minute = models.PositiveIntegerField(default=0)
    # The account's open positions as the checks value them, kept with the Position rows by the books.
    positions_held = models.JSONField(default=dict, blank=True, editable=False)
    # The platform kill switch (PlatformRisk), set on every account's row in the same statement that halts the
    # platform: each order sees it in the row it locks, with no read of its own (orders/services/risk_actions.py).
    platform_halted = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "funds"
        constraints = [
            models.CheckConstraint(condition=Q(reserved__gte=0), name="funds_reserved_non_negative"),
            models.CheckConstraint(condition=Q(margin_used__gte=0), name="funds_margin_non_negative"),
            models.CheckConstraint(condition=Q(open_order_value__gte=0), name="funds_open_value_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: cash {self.cash}"

    @property
    def available(self) -> Decimal:
        return self.cash - self.reserved - self.margin_used


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        # The labels are what the trader reads in the ledger.
        DEPOSIT = "DEPOSIT", "Funds added"
        WITHDRAWAL = "WITHDRAWAL", "Funds withdrawn"
        ADJUSTMENT = "ADJUSTMENT", "Adjustment"
        REALISED_PNL = "REALISED_PNL", "Realised P&L"
        CHARGES = "CHARGES", "Charges"

    # The day's realised P&L counts these: what fills realise, less the charges paid (the daily loss limit is net).
    REALISED = (Kind.REALISED_PNL, Kind.CHARGES)

    account = models.ForeignKey(TradingAccount, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(**MONEY, help_text="Signed: credits positive, debits negative.")
    balance_after = models.DecimalField(**MONEY)
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class ExternalOrder(models.Model):
    """An order at the broker that the platform did not place (the broker's own app, another tool).

    Recorded by reconciliation as the broker reports it, and shown in the order book: never ignored.
    """

    account = models.ForeignKey(TradingAccount, on_delete=models.CASCADE, related_name="external_orders")
    broker_order_id = models.CharField(max_length=64)
    tag = models.CharField(max_length=20, blank=True)
    exchange = models.CharField(max_length=8, blank=True)
    symbol = models.CharField(max_length=64, blank=True)
    side = models.CharField(max_length=4, blank=True)
    product = models.CharField(max_length=4, blank=True)
    order_type = models.CharField(max_length=6, blank=True)
    quantity = models.PositiveIntegerField(default=0)
    filled_quantity = models.PositiveIntegerField(default=0)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    average_price = models.DecimalField(**PRICE, null=True, blank=True)
    status = models.CharField(max_length=16, help_text="The broker's status: open, complete, cancelled, ...")
    message = models.CharField(max_length=200, blank=True)
    first_seen_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "broker_order_id"], name="external_order_account_broker_id")
        ]

    def __str__(self) -> str:
        return f"external {self.broker_order_id} {self.side} {self.quantity} {self.symbol} {self.status}"


class PositionMismatch(models.Model):
    """Our position and the broker's disagree: both sides recorded for an alert, neither overwritten."""

    account = models.ForeignKey(TradingAccount, on_delete=models.CASCADE, related_name="position_mismatches")
    exchange = models.CharField(max_length=8)
    symbol = models.CharField(max_length=64)
    product = models.CharField(max_length=4, choices=Product.choices)
    platform_quantity = models.IntegerField()
    broker_quantity = models.IntegerField()
    platform_average = models.DecimalField(**PRICE, null=True, blank=True)
    broker_average = models.DecimalField(**PRICE, null=True, blank=True)
    detected_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="When both sides agreed again.")

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "exchange", "symbol", "product"],
                condition=Q(resolved_at__isnull=True),
                name="position_mismatch_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.product}: ours {self.platform_quantity}, broker {self.broker_quantity}"
