"""A paper account never reaches a live broker and a live account never the paper exchange, on every order
path: place, modify, cancel, square-off, reconciliation, end of day. And the switch between them."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.utils import timezone

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from brokers import registry
from brokers.models import BrokerAccount, PaperOrder
from core.errors import Conflict, RuleViolation
from orders import services
from orders.models import Order, OrderStatus
from tests.accounts.factories import UserFactory
from tests.orders.conftest import params

from .conftest import live_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def spy(monkeypatch):
    """Which broker each account was handed, whatever path asked."""
    handed = defaultdict(set)
    factories = dict(registry._factories)

    def watching(name):
        def factory(account):
            handed[account.pk].add(name)
            return factories[name](account)

        return factory

    monkeypatch.setattr(registry, "_factories", {name: watching(name) for name in factories})
    return handed


def place(run, user, instrument, **kw) -> Order:
    order, _ = services.order_place(user=user, instrument=instrument, params=params(**kw))
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    return order


def resting(run, user, market) -> Order:
    order = place(run, user, market["SBIN-EQ"], order_type="LIMIT", price="700")
    assert order.status == OrderStatus.OPEN
    return order


def exercise(path: str, user, market, run) -> Order:
    if path == "place":
        return place(run, user, market["SBIN-EQ"])
    if path == "modify":
        order = resting(run, user, market)
        run(services.order_modify, user=user, order=order, changes={"price": Decimal("705")})
        run(services.order_modify_submit, order_id=order.id)
    elif path == "cancel":
        order = resting(run, user, market)
        run(services.order_cancel, user=user, order=order)
        run(services.order_cancel_submit, order_id=order.id)
    elif path == "square_off":
        place(run, user, market["SBIN-EQ"], quantity=2, product="MIS")
        [order] = run(services.positions_close, user=user)
        run(services.order_submit, order_id=order.id)
    elif path == "reconcile":
        order, _ = services.order_place(user=user, instrument=market["SBIN-EQ"], params=params())
        Order.objects.filter(id=order.id).update(status=OrderStatus.UNKNOWN, submitted_at=timezone.now())
        later = timezone.now() + timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS + 1)
        assert run(services.orders_reconcile, now=later)["resent"] >= 1
        run(services.order_submit, order_id=order.id)
    elif path == "end_of_day":
        order = resting(run, user, market)
        assert run(services.orders_expire_day) >= 1
        run(services.order_cancel_submit, order_id=order.id)
    order.refresh_from_db()
    return order


EXPECTED = {
    "place": OrderStatus.FILLED,
    "modify": OrderStatus.OPEN,
    "cancel": OrderStatus.CANCELLED,
    "square_off": OrderStatus.FILLED,
    "reconcile": OrderStatus.FILLED,
    "end_of_day": OrderStatus.EXPIRED,
}


@pytest.mark.parametrize("path", list(EXPECTED))
def test_every_order_path_keeps_paper_on_the_paper_exchange_and_live_on_the_broker(
    path, fake, market, trader, run, spy
):
    live = live_trader()
    # Read from the rows, not through the per-process cache the order path fills (it must see the update below).
    paper_account, live_account = (TradingAccount.objects.get(user=u, is_default=True) for u in (trader, live))
    # A paper account naming a live broker (what it would use once switched) still trades on paper.
    TradingAccount.objects.filter(pk=paper_account.pk).update(broker="angelone")

    for user in (trader, live):
        order = exercise(path, user, market, run)
        assert order.status == EXPECTED[path], (user, order.events.values_list("reason", flat=True))
        if path == "modify":
            assert order.price == Decimal("705")

    assert dict(spy) == {paper_account.pk: {"paper"}, live_account.pk: {"angelone"}}
    assert not PaperOrder.objects.filter(account_id=live_account.pk).exists()
    assert PaperOrder.objects.filter(account_id=paper_account.pk).exists()
    live_tags = {o.broker_tag for o in Order.objects.filter(account=live_account)}
    assert {row["ordertag"] for row in fake.state.orders.values()} == live_tags


# --- The switch -----------------------------------------------------------------------------------


def test_switching_to_live_and_back_is_recorded_in_the_audit_trail(db, trader):
    account = default_account_for(trader)
    BrokerAccount.objects.create(account=account, client_code="A1", api_key="k", pin="1", totp_secret="JBSWY3DP")

    switched = services.trading_account_switch_mode(user=trader, account=account, mode="live")
    assert (switched.mode, switched.broker) == ("live", "angelone")
    services.trading_account_switch_mode(user=trader, account=account, mode="paper")

    entries = LogEntry.objects.get_for_object(account).order_by("timestamp", "id")
    assert [
        (e.actor_id, e.changes_dict.get("mode"))
        for e in entries
        if e.action == LogEntry.Action.UPDATE and "mode" in e.changes_dict
    ] == [
        (trader.pk, ["paper", "live"]),
        (trader.pk, ["live", "paper"]),
    ]


def test_switching_is_refused_while_orders_are_open(market, trader, run):
    BrokerAccount.objects.create(
        account=default_account_for(trader), client_code="A1", api_key="k", pin="1", totp_secret="JBSWY3DP"
    )
    services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    with pytest.raises(Conflict) as refused:
        services.trading_account_switch_mode(user=trader, account=default_account_for(trader), mode="live")
    assert refused.value.code == "open_orders"
    assert TradingAccount.objects.get(user=trader).mode == "paper"


def test_switching_is_refused_while_positions_are_held(market, trader, run):
    BrokerAccount.objects.create(
        account=default_account_for(trader), client_code="A1", api_key="k", pin="1", totp_secret="JBSWY3DP"
    )
    place(run, trader, market["SBIN-EQ"])  # filled: a position of 10
    with pytest.raises(Conflict) as refused:
        services.trading_account_switch_mode(user=trader, account=default_account_for(trader), mode="live")
    assert refused.value.code == "positions_held"


def test_switching_to_live_needs_broker_credentials(db):
    user = UserFactory()
    account = services.account_open(user=user)
    with pytest.raises(RuleViolation) as refused:
        services.trading_account_switch_mode(user=user, account=account, mode="live")
    assert refused.value.code == "broker_not_connected"


def test_an_order_placed_with_an_account_remembered_from_before_a_switch_is_refused(market, trader):
    from accounts.selectors import default_account_for

    default_account_for(trader)  # this process remembers it as paper
    BrokerAccount.objects.create(
        account=default_account_for(trader), client_code="A1", api_key="k", pin="1", totp_secret="JBSWY3DP"
    )
    TradingAccount.objects.filter(user=trader).update(mode="live", broker="angelone")  # another process switched
    with pytest.raises(Conflict) as refused:
        services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    assert refused.value.code == "account_mode_changed"
    assert not Order.objects.exists()
