from django.conf import settings
from django.db import models
from django.db.models import Q

from .naming import display_name, search_terms


class Exchange(models.TextChoices):
    NSE = "NSE", "NSE (cash)"
    BSE = "BSE", "BSE (cash)"
    NFO = "NFO", "NSE F&O"
    BFO = "BFO", "BSE F&O"
    MCX = "MCX", "MCX"
    CDS = "CDS", "NSE currency"
    NCDEX = "NCDEX", "NCDEX"
    NCO = "NCO", "NSE commodity"


CASH_EXCHANGES = {Exchange.NSE, Exchange.BSE}
INDEX_TYPES = {"AMXIDX", "INDEX"}
EQUITY_TYPE = "EQ"


class Instrument(models.Model):
    """One tradable (or index) instrument, as the exchange and Angel One name it."""

    exchange = models.CharField(max_length=8, choices=Exchange.choices)
    symbol = models.CharField(max_length=64, help_text="Exchange trading symbol, e.g. SBIN-EQ.")
    token = models.CharField(max_length=32, help_text="Exchange token (Angel One symboltoken).")
    name = models.CharField(max_length=128, blank=True, help_text="The underlying, as Angel One names it: SBIN, NIFTY.")
    company_name = models.CharField(
        max_length=128,
        blank=True,
        help_text="The company (State Bank of India); a derivative carries its underlying's.",
    )
    instrument_type = models.CharField(
        max_length=16, default=EQUITY_TYPE, help_text="EQ for cash equity; AMXIDX, FUTIDX, OPTSTK, ... as published."
    )
    lot_size = models.PositiveIntegerField(default=1)
    tick_size = models.DecimalField(max_digits=12, decimal_places=4, help_text="Rupees.")
    expiry = models.DateField(null=True, blank=True)
    strike = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True, help_text="Rupees.")
    is_active = models.BooleanField(default=True, help_text="False once the instrument left the scrip master.")
    import_generation = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    search_terms = models.TextField(
        blank=True, editable=False, help_text="The words search matches, filled on save and import (naming.py)."
    )

    class Meta:
        ordering = ["exchange", "symbol"]
        constraints = [
            models.UniqueConstraint(fields=["exchange", "token"], name="instrument_exchange_token_uniq"),
            models.UniqueConstraint(
                fields=["exchange", "symbol"], condition=Q(is_active=True), name="instrument_active_symbol_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["exchange", "symbol"], name="instrument_exchange_symbol_idx"),
            models.Index(fields=["instrument_type", "expiry"], name="instrument_type_expiry_idx"),
            models.Index(fields=["name"], name="instrument_name_idx"),
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args, **kwargs) -> None:
        self.search_terms = self.build_search_terms()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_terms" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_terms"]
        super().save(*args, **kwargs)

    def build_search_terms(self) -> str:
        return search_terms(
            exchange=self.exchange,
            symbol=self.symbol,
            token=self.token,
            name=self.name,
            company_name=self.company_name,
            instrument_type=self.instrument_type,
            expiry=self.expiry,
            strike=self.strike,
        )

    @property
    def display_name(self) -> str:
        """As traders write it: SBIN, Nifty 50, NIFTY 29 DEC FUT, NIFTY 29 DEC 26000 CE."""
        return display_name(
            symbol=self.symbol,
            name=self.name,
            instrument_type=self.instrument_type,
            expiry=self.expiry,
            strike=self.strike,
        )

    @property
    def key(self) -> str:
        return f"{self.exchange}:{self.symbol}"

    @property
    def price_places(self) -> int:
        """Decimals its prices are written with: the tick's, and at least two (0.05 -> 2, 0.0025 -> 4)."""
        return max(2, -self.tick_size.normalize().as_tuple().exponent)

    @property
    def is_index(self) -> bool:
        return self.instrument_type in INDEX_TYPES

    @property
    def is_derivative(self) -> bool:
        return self.instrument_type.startswith(("FUT", "OPT"))

    @property
    def is_cash_equity(self) -> bool:
        return self.exchange in CASH_EXCHANGES and self.instrument_type == EQUITY_TYPE


class Interval(models.TextChoices):
    M1 = "1m", "1 minute"
    M5 = "5m", "5 minutes"
    M15 = "15m", "15 minutes"
    H1 = "1h", "1 hour"
    D1 = "1d", "1 day"


class Candle(models.Model):
    """OHLCV for one instrument and interval; `start` is the bucket's opening time (UTC)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="candles")
    interval = models.CharField(max_length=3, choices=Interval.choices)
    start = models.DateTimeField()
    open = models.DecimalField(max_digits=18, decimal_places=6)
    high = models.DecimalField(max_digits=18, decimal_places=6)
    low = models.DecimalField(max_digits=18, decimal_places=6)
    close = models.DecimalField(max_digits=18, decimal_places=6)
    volume = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["instrument", "interval", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "interval", "start"], name="candle_instrument_interval_start"
            ),
            models.CheckConstraint(condition=Q(low__lte=models.F("high")), name="candle_low_lte_high"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="candle_volume_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.interval} {self.start:%Y-%m-%d %H:%M}"


class Quote(models.Model):
    """The last known quote per instrument: what the feed last wrote, kept when caches are empty."""

    instrument = models.OneToOneField(Instrument, on_delete=models.CASCADE, primary_key=True, related_name="quote")
    ltp = models.DecimalField(max_digits=18, decimal_places=6)
    bid = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    ask = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    open = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    low = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    close = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True, help_text="Previous session's close."
    )
    volume = models.BigIntegerField(default=0)
    timestamp = models.DateTimeField(help_text="Time of the last tick (UTC).")

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.ltp} @ {self.timestamp:%H:%M:%S}"


class FeedStatus(models.Model):
    """One row per running feed source: its heartbeat, for health and staleness."""

    source = models.CharField(max_length=32, primary_key=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_tick_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField()
    ticks_total = models.BigIntegerField(default=0)
    instruments = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "feed status"

    def __str__(self) -> str:
        return self.source


class WatchlistItem(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist_items")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "instrument"], name="watchlist_user_instrument")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.instrument_id}"


class LiveInterest(models.Model):
    """Someone is looking at this instrument (a chart, a quote request): keep it ticking until `until`."""

    instrument = models.OneToOneField(Instrument, on_delete=models.CASCADE, primary_key=True, related_name="+")
    until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.instrument_id} until {self.until:%H:%M:%S}"


# --- Exchange limits the risk checks read (loaded from the exchanges' daily files) -----------------


class FreezeQuantity(models.Model):
    """The most the exchange takes in one F&O order for an underlying (NSE's published freeze list)."""

    underlying = models.CharField(max_length=64, unique=True, help_text="As instruments name it: NIFTY, SBIN, ...")
    quantity = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["underlying"]
        verbose_name_plural = "freeze quantities"

    def __str__(self) -> str:
        return f"{self.underlying}: {self.quantity}"


class FnoBan(models.Model):
    """A stock in the F&O ban period on a day: its derivatives take only orders that reduce a position."""

    underlying = models.CharField(max_length=64)
    day = models.DateField(help_text="IST trading day.")

    class Meta:
        ordering = ["-day", "underlying"]
        constraints = [models.UniqueConstraint(fields=["underlying", "day"], name="fno_ban_underlying_day")]
        verbose_name = "F&O ban entry"
        verbose_name_plural = "F&O ban list"

    def __str__(self) -> str:
        return f"{self.underlying} ({self.day})"


class CircuitLimit(models.Model):
    """The day's price band of an instrument: orders priced outside it are refused by the exchange."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="IST trading day.")
    lower = models.DecimalField(max_digits=18, decimal_places=6)
    upper = models.DecimalField(max_digits=18, decimal_places=6)

    class Meta:
        ordering = ["-day", "instrument"]
        constraints = [models.UniqueConstraint(fields=["instrument", "day"], name="circuit_limit_instrument_day")]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.day}: {self.lower}-{self.upper}"
