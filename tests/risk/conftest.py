# The risk tests place orders as the orders tests do: the same market, trader and task runner.
from tests.orders.conftest import market, run, trader  # noqa: F401 - fixtures, used by name
