"""Risk limits and trading state per trading account."""

from decimal import Decimal

from django.db import models

from accounts.models import TradingAccount

MONEY = {"max_digits": 20, "decimal_places": 2}


class TradingState(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    REDUCING = "REDUCING", "Reducing only (orders that reduce a position)"
    HALTED = "HALTED", "Halted (cancels only)"


class InstrumentClass(models.TextChoices):
    EQUITY = "equity"
    FUTURES = "futures"
    OPTIONS = "options"


def all_exchanges() -> list[str]:
    return ["NSE", "BSE", "NFO", "BFO"]


def all_products() -> list[str]:
    return ["CNC", "MIS", "NRML"]


def all_instrument_classes() -> list[str]:
    return list(InstrumentClass.values)


class RiskProfile(models.Model):
    """What one account may do. Made with the account's first order (risk_profile_for) from the limits below,
    sensible for a retail trader with a few lakh rupees; admins tune them per account. Order values: equity
    and options at the order's price, futures notional."""

    account = models.OneToOneField(TradingAccount, on_delete=models.CASCADE, related_name="risk_profile")
    max_order_value_equity = models.DecimalField(**MONEY, default=Decimal("500000"))
    max_order_value_futures = models.DecimalField(**MONEY, default=Decimal("3000000"), help_text="Notional.")
    max_order_value_options = models.DecimalField(**MONEY, default=Decimal("200000"), help_text="At the premium.")
    max_quantity_equity = models.PositiveIntegerField(default=10_000)
    max_quantity_futures = models.PositiveIntegerField(default=1_800)
    max_quantity_options = models.PositiveIntegerField(default=1_800)
    price_band_pct_equity = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("5"))
    price_band_pct_futures = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("3"))
    price_band_pct_options = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("40"))
    max_open_orders = models.PositiveIntegerField(default=50)
    max_position_value = models.DecimalField(
        **MONEY, default=Decimal("5000000"), help_text="Per instrument, at the order's price."
    )
    max_gross_exposure = models.DecimalField(
        **MONEY, default=Decimal("10000000"), help_text="All positions and open orders together."
    )
    max_orders_per_second = models.PositiveIntegerField(default=10)
    max_orders_per_minute = models.PositiveIntegerField(default=200)
    max_orders_per_day = models.PositiveIntegerField(default=2_000)
    daily_loss_limit = models.DecimalField(
        **MONEY, default=Decimal("50000"), help_text="Realised + unrealised P&L since the day began."
    )
    square_off_on_daily_loss = models.BooleanField(
        default=False, help_text="Square everything off when the daily loss limit is reached."
    )
    allowed_exchanges = models.JSONField(default=all_exchanges, blank=True)
    allowed_products = models.JSONField(default=all_products, blank=True)
    allowed_instrument_classes = models.JSONField(
        default=all_instrument_classes, blank=True, help_text="equity, futures, options"
    )
    state = models.CharField(max_length=8, choices=TradingState.choices, default=TradingState.ACTIVE)
    state_code = models.CharField(max_length=64, blank=True, help_text="Why, as a code: risk_daily_loss_limit, ...")
    state_reason = models.CharField(max_length=200, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    reactivate_after = models.DateTimeField(
        null=True, blank=True, help_text="The trader may reactivate from this time; empty: an admin must."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "orders_riskprofile"  # made by orders before risk was an app of its own; the rows stayed

    def __str__(self) -> str:
        return f"risk of {self.account}"

    def for_class(self, prefix: str, instrument_class: str):
        return getattr(self, f"{prefix}_{instrument_class}")


class RiskEvent(models.Model):
    """What the risk layer did: rejections, state changes, kill switches. The account's risk history."""

    class Kind(models.TextChoices):
        REJECTED = "REJECTED"
        STATE = "STATE"
        KILL_SWITCH = "KILL_SWITCH"

    account = models.ForeignKey(TradingAccount, on_delete=models.CASCADE, related_name="risk_events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(max_length=64)
    message = models.CharField(max_length=300)
    actor = models.CharField(max_length=64, blank=True)
    data = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        db_table = "orders_riskevent"

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"


class PlatformRisk(models.Model):
    """The platform-wide kill switch (one row): while halted, no account takes new orders."""

    halted = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "platform kill switch"
        verbose_name_plural = "platform kill switch"
        db_table = "orders_platformrisk"

    def __str__(self) -> str:
        return "HALTED" if self.halted else "trading"


ZERO = Decimal(0)
