from datetime import UTC, datetime
from decimal import Decimal

import factory

from marketdata.models import Candle, Instrument, Quote


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument

    exchange = "NSE"
    symbol = factory.Sequence(lambda n: f"STOCK{n}-EQ")
    token = factory.Sequence(lambda n: str(10_000 + n))
    name = factory.LazyAttribute(lambda i: i.symbol.removesuffix("-EQ"))
    instrument_type = "EQ"
    lot_size = 1
    tick_size = Decimal("0.05")


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    instrument = factory.SubFactory(InstrumentFactory)
    ltp = Decimal("100.00")
    bid = Decimal("99.95")
    ask = Decimal("100.05")
    open = Decimal("98.00")
    high = Decimal("101.00")
    low = Decimal("97.50")
    close = Decimal("98.50")
    volume = 1000
    timestamp = factory.LazyFunction(lambda: datetime.now(UTC))


class CandleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candle

    instrument = factory.SubFactory(InstrumentFactory)
    interval = "1m"
    start = datetime(2026, 11, 24, 3, 45, tzinfo=UTC)  # 09:15 IST
    open = Decimal("100")
    high = Decimal("101")
    low = Decimal("99")
    close = Decimal("100.5")
    volume = 10
