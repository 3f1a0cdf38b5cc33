"""Only the account's books (orders/books/) write a books field: cash, reservations, margin, positions and
the running risk totals. Read from every module of the project, so a new writer elsewhere fails here.
(After every test, tests/conftest.py `_risk_usage_holds` also recounts the running totals: a second net.)"""

import ast

from orders.models import Funds
from tests.orders.writes import writes_of

OWNER = "orders/books/"
FUNDS_FIELDS = {f.name for f in Funds._meta.concrete_fields} - {"id", "account", "updated_at"}
ORDER_FIELDS = {"reserved_amount"}
POSITION_FIELDS = {"net_quantity", "average_price", "realised_pnl", "buy_quantity", "sell_quantity"}
POSITION_FIELDS |= {"buy_value", "sell_value"}
BOOKS_FIELDS = FUNDS_FIELDS | ORDER_FIELDS | POSITION_FIELDS
MODELS = {"Funds", "Order", "Position"}

# Same names, other objects: (module, what is written to, field) -> what it is.
NOT_THE_BOOKS = {
    ("strategies/engine/book.py", "self", "cash"): "the backtester's simulated cash",
    ("strategies/positions.py", "self", "buy_quantity"): "a strategy run's own tally of its fills",
    ("strategies/positions.py", "self", "sell_quantity"): "a strategy run's own tally of its fills",
    ("brokers/angelone/packets.py", "packet", "average_price"): "a parsed order-update packet from Angel One",
}


def test_the_books_fields_are_the_ones_the_books_own():
    assert {"cash", "reserved", "margin_used", "open_orders", "orders_today", "positions_held"} <= FUNDS_FIELDS
    assert "platform_halted" in FUNDS_FIELDS and "realised_today" in FUNDS_FIELDS


def test_no_module_outside_the_books_writes_a_books_field():
    found = [
        str(w)
        for w in writes_of(BOOKS_FIELDS, MODELS)
        if not w.path.startswith(OWNER) and (w.path, w.receiver, w.field) not in NOT_THE_BOOKS
    ]
    assert found == [], "write these through AccountBooks' movements:\n" + "\n".join(found)


def test_the_exceptions_are_still_there():
    """An exception whose code is gone is taken off the list, so it cannot excuse a new writer later."""
    seen = {(w.path, w.receiver, w.field) for w in writes_of(BOOKS_FIELDS, MODELS)}
    assert set(NOT_THE_BOOKS) <= seen


def _found(source: str) -> list[str]:
    modules = [("orders/services/example.py", ast.parse(source))]
    return [f"{w.how} {w.receiver}.{w.field}" for w in writes_of(BOOKS_FIELDS, MODELS, modules)]


def test_the_walk_finds_each_kind_of_write():
    source = """
funds.cash = funds.cash + amount
funds.reserved += 1
funds.open_orders, funds.open_order_value = 0, 0
setattr(funds, "margin_used", x)
Funds.objects.filter(account=a).update(cash=F("cash") + 1)
Funds.objects.create(account=a, cash=10)
Funds.objects.get_or_create(account=a, defaults={"platform_halted": True})
rows.update(orders_today=0)
Order(reserved_amount=5)
Position.objects.update_or_create(account=a, defaults={"net_quantity": 3})
"""
    assert _found(source) == [
        "assign funds.cash",
        "assign funds.reserved",
        "assign funds.open_orders",
        "assign funds.open_order_value",
        "setattr funds.margin_used",
        "update Funds.cash",
        "create Funds.cash",
        "get_or_create Funds.platform_halted",
        "update rows.orders_today",
        "Order Order.reserved_amount",
        "update_or_create Position.net_quantity",
    ]


def test_reads_and_other_models_are_not_writes():
    source = """
available = funds.cash - funds.reserved
Funds.objects.filter(cash__gt=0)
ExternalOrder.objects.update_or_create(account=a, defaults={"average_price": 1})
log(cash=funds.cash)
"""
    assert _found(source) == []
