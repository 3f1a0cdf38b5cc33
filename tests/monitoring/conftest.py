"""The orders and brokers fixtures, for the metrics tests that watch those apps count."""

from tests.brokers.conftest import fake, fake_server, live_account  # noqa: F401
from tests.orders.conftest import market, run, trader  # noqa: F401
