"""Live trading through the order path against the fake Angel One (in-process and with real workers)."""

from decimal import Decimal

import pytest

from accounts.models import TradingAccount
from brokers.models import BrokerAccount
from orders.services import account_open
from tests.accounts.factories import UserFactory
from tests.brokers.conftest import fake, fake_server, forget_broker_state  # noqa: F401 - fixtures
from tests.conftest import STARTING_RISK_LIMITS
from tests.fakes.angelone import TEST_CLIENT
from tests.orders.conftest import market, run, set_quote, trader  # noqa: F401 - fixtures


def live_trader(*, funds: str = "1000000", **credentials):
    """A trader whose account trades live on the fake Angel One (the market never closes there)."""
    user = UserFactory()
    account = account_open(user=user, starting_funds=Decimal(funds), always_open=True)
    values = {key: TEST_CLIENT[key] for key in ("api_key", "pin", "totp_secret")} | credentials
    BrokerAccount.objects.create(
        account=account, client_code=TEST_CLIENT["client_code"], static_ip="203.0.113.7", **values
    )
    TradingAccount.objects.filter(pk=account.pk).update(mode=TradingAccount.Mode.LIVE, broker="angelone")
    return user


@pytest.fixture
def live(db, fake, market):  # noqa: F811
    return live_trader()


# Read endpoints allow one call a second at Angel One; in-process tests read the books far more often.
FAST_READS = {"orderbook": "50/s", "tradebook": "50/s", "positions": "50/s", "holdings": "50/s", "login": "50/s"}


@pytest.fixture(autouse=True)
def _fast_reads(settings):
    settings.ANGELONE_RATE_LIMITS = {**settings.ANGELONE_RATE_LIMITS, **FAST_READS}


@pytest.fixture(autouse=True)
def _roomy_risk_limits(monkeypatch):
    """The fault tests place hundreds of orders a minute on one account: far above a retail default."""
    roomy = {
        "max_open_orders": 5000,
        "max_orders_per_second": 1000,
        "max_orders_per_minute": 100000,
        "max_orders_per_day": 100000,
        "max_position_value": Decimal("1000000000"),
        "max_gross_exposure": Decimal("1000000000"),
    }
    for name, value in roomy.items():
        monkeypatch.setitem(STARTING_RISK_LIMITS, name, value)
