from tests.orders.conftest import market, trader  # noqa: F401 - fixtures: demo instruments with quotes, a trader
