"""Concurrency is part of correctness: these run on PostgreSQL in CI (and on SQLite locally)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Sum

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from brokers.models import BrokerAccount, PaperOrder
from marketdata.models import Instrument, WatchlistItem
from marketdata.services import watchlist_add
from orders import services
from orders.books import AccountBooks
from orders.models import Funds, LedgerEntry, Order, OrderStatus
from tests.conftest import jwt_client, requires_postgres
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/orders/"
CLIENTS = 80  # simultaneous connections: PostgreSQL's default limit is 100


def burst(requests: int, send) -> list:
    """`requests` calls of send(i), released together from CLIENTS threads."""
    barrier = threading.Barrier(min(requests, CLIENTS))

    def one(i):
        try:
            if i < CLIENTS:
                barrier.wait()
            return send(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(one, range(requests)))


def test_100_concurrent_market_buys_accept_exactly_what_the_funds_cover(market, trader):
    per_order = (D("800.05") * D("1.01")).quantize(D("0.0001"))  # ask + 1% buffer, CNC: full value
    account = default_account_for(trader)
    services.funds_set_capital(account=account, amount=per_order * 60)
    body = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 1,
        "order_type": "MARKET",
        "product": "CNC",
    }

    responses = burst(100, lambda i: jwt_client(trader).post(URL, body, format="json"))

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 60 + [422] * 40
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 422} == {"insufficient_funds"}
    funds = Funds.objects.get(account=account)
    assert funds.reserved == per_order * 60 and funds.available == 0
    assert Order.objects.filter(account=account).count() == 60

    for order in Order.objects.filter(account=account):
        services.order_submit(order_id=order.id)
    funds.refresh_from_db()
    assert Order.objects.filter(account=account, status=OrderStatus.FILLED).count() == 60
    assert funds.reserved == 0 and funds.available >= 0
    assert funds.margin_used == D("800.05") * 60
    assert LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] == funds.cash


def test_the_same_client_order_id_sent_20_times_at_once_creates_one_order(market, trader):
    body = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 3,
        "order_type": "LIMIT",
        "product": "MIS",
        "price": "790",
        "client_order_id": "burst-1",
    }

    responses = burst(20, lambda i: jwt_client(trader).post(URL, body, format="json"))

    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Order.objects.count() == 1
    funds = Funds.objects.get(account__user=trader)
    assert funds.reserved == D("474.0000")  # reserved once: 3 * 790 * 0.2


def test_concurrent_submissions_of_one_order_reach_the_broker_once(market, trader):
    order, _ = services.order_place(
        user=trader,
        instrument=market["SBIN-EQ"],
        params=params(quantity=5),
    )
    burst(10, lambda i: services.order_submit(order_id=order.id))
    assert PaperOrder.objects.filter(tag=order.broker_tag).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED and order.filled_quantity == 5


def test_50_concurrent_orders_that_fit_alone_never_take_the_exposure_past_its_limit(market, trader):
    from risk.profiles import risk_profile_for

    profile = risk_profile_for(default_account_for(trader).id)
    profile.max_gross_exposure = D("80000.00")  # room for 10 of the orders below (8,000 each at 800.00)
    profile.save()
    body = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 10,
        "order_type": "LIMIT",
        "price": "800.00",
        "product": "CNC",
    }

    responses = burst(50, lambda i: jwt_client(trader).post(URL, body, format="json"))

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [422] * 40
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 422} == {"risk_max_gross_exposure"}
    accepted = Order.objects.filter(account=default_account_for(trader)).exclude(status=OrderStatus.REJECTED)
    assert sum(o.quantity * o.price for o in accepted) <= profile.max_gross_exposure
    funds = Funds.objects.get(account__user=trader)
    assert funds.open_order_value == D("80000.00") and funds.open_orders == 10  # the running usage the checks read


def test_50_concurrent_orders_against_a_daily_cap_of_20_accept_exactly_20_and_keep_the_running_usage(market, trader):
    from orders.books import usage_recount, usage_running
    from risk.profiles import risk_profile_for

    profile = risk_profile_for(default_account_for(trader).id)
    profile.max_orders_per_day = 20
    profile.save()
    body = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 1,
        "order_type": "LIMIT",
        "price": "790.00",
        "product": "CNC",
    }

    responses = burst(50, lambda i: jwt_client(trader).post(URL, body, format="json"))

    assert sorted(r.status_code for r in responses) == [201] * 20 + [422] * 30
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 422} == {"risk_max_orders_per_day"}
    funds = Funds.objects.get(account__user=trader)
    counted = usage_recount(funds.account_id)
    assert usage_running(funds) == counted
    assert (counted.orders_today, counted.open_orders, counted.open_order_value) == (20, 20, D("15800.00"))


def _hold_open(work, done: threading.Event, release: threading.Event) -> threading.Thread:
    """Run work() in a transaction on its own connection and keep it open (its locks held) until release."""

    def body():
        try:
            with transaction.atomic():
                work()
                done.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    assert done.wait(10), "the transaction under test did not get going"
    return thread


def _free(model, pk) -> bool:
    """Whether another transaction could lock this row right now."""
    try:
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).get(pk=pk)
        return True
    except OperationalError:
        return False


@requires_postgres()
def test_a_fill_locks_its_accounts_rows_and_not_the_instrument_or_the_user(market, trader):
    """The position is looked up by its key: no join for the model's ordering, so FOR UPDATE takes no instrument
    row (every account's fills in that instrument would queue behind it) and no user row."""
    sbin, account = market["SBIN-EQ"], default_account_for(trader)
    done, release = threading.Event(), threading.Event()

    def fill():
        with AccountBooks.locked(account.id) as books:
            books.position_fill(instrument_id=sbin.id, product="CNC", side="BUY", quantity=1, price=D("800"))

    with transaction.atomic():
        fill()  # the position row exists: the second fill finds it and locks it
    thread = _hold_open(fill, done, release)
    try:
        assert not _free(Funds, Funds.objects.get(account=account).pk)  # the lock that serialises the account
        assert _free(Instrument, sbin.id)
        assert _free(type(trader), trader.pk)
        assert _free(TradingAccount, account.pk)
    finally:
        release.set()
        thread.join()


@requires_postgres()
def test_changing_the_watchlist_locks_its_items_and_not_the_user(market, trader):
    watchlist_add(user=trader, instrument=market["SBIN-EQ"])  # an item to lock
    done, release = threading.Event(), threading.Event()
    thread = _hold_open(lambda: watchlist_add(user=trader, instrument=market["INFY-EQ"]), done, release)
    try:
        assert _free(type(trader), trader.pk)
    finally:
        release.set()
        thread.join()
    assert WatchlistItem.objects.filter(user=trader).count() == 2


@requires_postgres()
def test_an_order_waiting_for_the_lock_while_the_account_switches_to_live_is_refused(market, trader):
    """The placement reads the account's mode under the account's lock, the lock the switch holds: an order
    that queued behind a switch is refused, never stored as paper and sent live."""
    account = default_account_for(trader)
    BrokerAccount.objects.create(account=account, client_code="A1", api_key="k", pin="1", totp_secret="JBSWY3DP")
    done, release = threading.Event(), threading.Event()

    def switch_holding_the_lock():
        with AccountBooks.locked(account.id):
            TradingAccount.objects.filter(pk=account.pk).update(mode="live", broker="angelone")

    switching = _hold_open(switch_holding_the_lock, done, release)
    outcome = {}

    def place():
        try:
            services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
            outcome["stored"] = True
        except Exception as exc:  # the refusal is the outcome under test
            outcome["refused"] = getattr(exc, "code", repr(exc))
        finally:
            connection.close()

    placing = threading.Thread(target=place)
    placing.start()
    try:
        _wait_until_a_lock_is_awaited()
    finally:
        release.set()
        switching.join()
        placing.join()
    assert outcome == {"refused": "account_mode_changed"}
    assert not Order.objects.exists()


def _wait_until_a_lock_is_awaited(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the placement never waited for the account's lock")
