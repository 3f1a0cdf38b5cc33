"""A fake Angel One SmartAPI server: REST, the market-data and order-update WebSockets, faults on demand.

Run by hand: `python -m tests.fakes.angelone --port 9100` (see docs/live-trading.md, "The fake Angel One").
"""

from .harness import FakeServer
from .state import TEST_CLIENT

__all__ = ["TEST_CLIENT", "FakeServer"]
