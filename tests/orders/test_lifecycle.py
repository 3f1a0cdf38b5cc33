"""The order lifecycle is one table (orders/lifecycle.py): it covers every status, refuses what it does not
declare, and nothing else writes an order's status. (After every test, tests/conftest.py
`_order_moves_in_the_table` also checks each status change the test's services recorded: a second net.)"""

import ast

import pytest

from orders import lifecycle
from orders.books import AccountBooks
from orders.lifecycle import PLACED, TRANSITIONS, IllegalTransition
from orders.models import TERMINAL, Order, OrderEvent, OrderStatus
from orders.services import order_place, order_submit
from tests.orders.conftest import market, params, run, trader  # noqa: F401 - fixtures
from tests.orders.writes import writes_of

STATUSES = set(OrderStatus.values)

# Other objects with a `status` (module, what is written to) -> what it is.
NOT_AN_ORDER = {
    ("brokers/services.py", "broker_account"): "a broker connection (BrokerAccount)",
    ("brokers/angelone/session.py", "row"): "a broker connection (BrokerAccount)",
}


def test_every_status_has_its_row_and_every_move_leads_to_a_status():
    assert set(TRANSITIONS) == STATUSES | {PLACED}
    for source, moves in TRANSITIONS.items():
        assert set(moves) <= STATUSES, source
        assert source not in moves, f"{source} moves to itself: that is a note, not a move"
        assert all(why.strip() for why in moves.values()), source


def test_the_terminal_statuses_are_the_ones_with_no_moves_out():
    assert {source for source, moves in TRANSITIONS.items() if not moves} == TERMINAL


def test_every_status_is_reachable_from_placement():
    reached, frontier = set(), [PLACED]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == STATUSES


def test_every_working_status_can_end():
    for source, moves in TRANSITIONS.items():
        if source and source not in TERMINAL:
            assert set(moves) & TERMINAL, f"{source} can never finish"


def test_the_markdown_has_one_row_per_move_and_per_terminal_status():
    rows = lifecycle.transitions_markdown().strip().splitlines()[2:]
    moves = sum(len(m) for m in TRANSITIONS.values())
    assert len(rows) == moves + len(TERMINAL)
    assert "| NEW | SUBMITTED | a worker claimed it" in lifecycle.transitions_markdown()


@pytest.mark.django_db
def test_a_move_not_in_the_table_is_refused_and_changes_nothing(market, trader, run):  # noqa: F811
    limit = params(order_type="LIMIT", price="790")
    order, _ = order_place(user=trader, instrument=market["SBIN-EQ"], params=limit)
    run(order_submit, order_id=order.id)  # OPEN at the paper exchange
    with AccountBooks.locked(order.account_id) as books:
        held = books.lock_order(order.id)
        assert held.status == OrderStatus.OPEN
        with pytest.raises(IllegalTransition) as refused:
            lifecycle.move(held, OrderStatus.NEW, "back to the start", "test")
    assert refused.value.code == "illegal_transition" and refused.value.status_code == 409
    assert Order.objects.get(id=order.id).status == OrderStatus.OPEN
    assert not OrderEvent.objects.filter(order=order, to_status=OrderStatus.NEW).exclude(from_status="").exists()


@pytest.mark.django_db
def test_a_terminal_order_moves_nowhere(market, trader, run):  # noqa: F811
    order, _ = order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    run(order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    for target in STATUSES - {OrderStatus.FILLED}:
        with pytest.raises(IllegalTransition):
            lifecycle.check(order.status, target, order_id=order.id)


@pytest.mark.django_db
def test_a_claim_not_in_the_table_is_refused_before_any_write(django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(IllegalTransition):
        lifecycle.claim(1, OrderStatus.FILLED, OrderStatus.SUBMITTED, "no", "test", load=_load)


@pytest.mark.django_db
def test_a_claim_moves_once_and_records_it(market, trader):  # noqa: F811
    order, _ = order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    first = lifecycle.claim(order.id, OrderStatus.NEW, OrderStatus.SUBMITTED, "go", "worker", load=_load)
    second = lifecycle.claim(order.id, OrderStatus.NEW, OrderStatus.SUBMITTED, "go", "worker", load=_load)
    assert first.status == OrderStatus.SUBMITTED and second is None
    moves = list(OrderEvent.objects.filter(order=order).values_list("from_status", "to_status"))
    assert moves == [("", OrderStatus.NEW), (OrderStatus.NEW, OrderStatus.SUBMITTED)]
    Order.objects.filter(id=order.id).update(status=OrderStatus.NEW)  # behind the lifecycle: back for the net


def _load(order_id: int) -> Order:
    return Order.objects.get(id=order_id)


# --- Nothing else writes an order's status ------------------------------------------------------------


def _status_writes(modules=None) -> list[str]:
    return [
        str(w)
        for w in writes_of({"status"}, {"Order"}, modules)
        if w.path != "orders/lifecycle.py" and (w.path, w.receiver) not in NOT_AN_ORDER
    ]


def test_no_module_outside_the_lifecycle_writes_an_order_status():
    found = _status_writes()
    assert found == [], "move orders through orders.lifecycle (move, end, claim, begin):\n" + "\n".join(found)


def test_no_module_outside_the_lifecycle_writes_an_order_event():
    found = [str(w) for w in writes_of({"from_status", "to_status"}, {"OrderEvent"}) if w.path != "orders/lifecycle.py"]
    assert found == []


def test_the_status_exceptions_are_still_there():
    seen = {(w.path, w.receiver) for w in writes_of({"status"}, {"Order"})}
    assert set(NOT_AN_ORDER) <= seen


def test_the_walk_finds_each_way_of_writing_a_status():
    source = """
order.status = OrderStatus.CANCELLED
current.status, current.filled_quantity = "FILLED", 1
setattr(order, "status", "OPEN")
Order.objects.filter(id=1, status="NEW").update(status="SUBMITTED")
Order.objects.create(status="REJECTED")
Order(status="NEW")
orders.update(status="EXPIRED")
StrategyRun.objects.filter(id=1).update(status="STOPPED")
Order.objects.filter(status="OPEN").count()
"""
    found = _status_writes([("orders/services/example.py", ast.parse(source))])
    assert [line.split(": ", 1)[1] for line in found] == [
        "assign order.status",
        "assign current.status",
        "setattr order.status",
        "update Order.status",
        "create Order.status",
        "Order Order.status",
        "update orders.status",
    ]


@pytest.mark.django_db
def test_a_fill_reported_for_a_finished_order_books_the_money_and_leaves_its_status(market, trader, caplog):  # noqa: F811
    """Cancelled here before it was sent, then the broker reports it filled (an attempt thought lost had
    arrived): the trade, position and money follow the broker's word; a terminal status moves nowhere."""
    from orders.services import order_cancel
    from tests.orders.test_risk_usage import fill

    order, _ = order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=2))
    order = order_cancel(user=trader, order=order)
    assert order.status == OrderStatus.CANCELLED
    fill(order, 2, "801.00", status="complete")
    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == (OrderStatus.CANCELLED, 2)
    position = order.account.positions.get(instrument=market["SBIN-EQ"])
    assert position.net_quantity == 2
    assert "is CANCELLED and the broker reports fills" in caplog.text
