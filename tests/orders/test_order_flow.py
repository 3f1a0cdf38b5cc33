"""The order lifecycle through the real paper broker and matching engine, without a worker process:
the Celery task bodies (services) are called directly, and on-commit callbacks run as in production."""

from decimal import Decimal as D

import pytest
from django.db.models import Sum

from accounts.selectors import default_account_for
from brokers.models import PaperOrder
from brokers.paper.engine import MatchingEngine
from marketdata.bus import Tick
from orders import services
from orders.models import Funds, LedgerEntry, Order, OrderStatus, Position, Trade
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.orders.conftest import params, set_quote

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


def place(trader, instrument, **kw):
    order, created = services.order_place(user=trader, instrument=instrument, params=params(**kw))
    assert created
    return order


def statuses(order):
    return [(e.from_status, e.to_status) for e in order.events.order_by("at", "id")]


def ledger_sums_to_cash(user):
    funds = Funds.objects.get(account__user=user)
    total = LedgerEntry.objects.filter(account__user=user).aggregate(s=Sum("amount"))["s"]
    return total == funds.cash


def test_a_market_buy_fills_at_the_ask_and_becomes_a_position(market, trader, run):
    order = place(trader, market["SBIN-EQ"], quantity=10)
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.average_price) == (OrderStatus.FILLED, 10, D("800.05"))
    assert statuses(order) == [("", "NEW"), ("NEW", "SUBMITTED"), ("SUBMITTED", "FILLED")]
    assert Trade.objects.get(order=order).price == D("800.05")
    position = Position.objects.get(account__user=trader, instrument=market["SBIN-EQ"], product="CNC")
    assert (position.net_quantity, position.average_price) == (10, D("800.05"))
    funds = Funds.objects.get(account__user=trader)
    assert funds.reserved == 0 and funds.margin_used == D("8000.5000") and funds.cash == D("1000000")
    assert ledger_sums_to_cash(trader)


def test_submitting_twice_sends_once(market, trader, run):
    order = place(trader, market["SBIN-EQ"])
    run(services.order_submit, order_id=order.id)
    run(services.order_submit, order_id=order.id)
    assert PaperOrder.objects.filter(tag=order.broker_tag).count() == 1
    assert Trade.objects.filter(order=order).count() == 1


def test_a_round_trip_realises_pnl_into_cash_through_the_ledger(market, trader, run):
    buy = place(trader, market["SBIN-EQ"], quantity=10)
    run(services.order_submit, order_id=buy.id)
    set_quote("NSE", "SBIN-EQ", "820.00", bid="819.95", ask="820.05")
    sell = place(trader, market["SBIN-EQ"], side="SELL", quantity=10)
    assert sell.reserved_amount == 0  # closing a holding needs no funds
    run(services.order_submit, order_id=sell.id)
    funds = Funds.objects.get(account__user=trader)
    assert funds.cash == D("1000000") + D("199.00")  # 10 * (819.95 - 800.05)
    assert funds.margin_used == 0 and funds.reserved == 0
    assert ledger_sums_to_cash(trader)
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REALISED_PNL)
    assert entry.amount == D("199.0000") and entry.trade.order == sell
    assert entry.note == "Sold 10 SBIN at ₹819.95"  # the trader's words, no internal id


def test_a_limit_order_rests_and_fills_when_the_last_price_crosses_it(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790", product="MIS")
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN and order.broker_order_id
    engine = MatchingEngine(sync_interval=0)
    sid = market["SBIN-EQ"].id
    with_callbacks = run
    with_callbacks(engine.on_tick, tick=Tick(sid, D("795.00"), 1.0, 1))
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN  # not crossed yet
    with_callbacks(engine.on_tick, tick=Tick(sid, D("789.50"), 2.0, 1))
    order.refresh_from_db()
    assert (order.status, order.average_price) == (OrderStatus.FILLED, D("790"))  # at the limit
    assert engine.resting() == 0


def test_a_marketable_limit_fills_at_once_at_the_better_price(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="805")
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.average_price) == (OrderStatus.FILLED, D("800.05"))


def test_a_stop_limit_triggers_then_rests_as_a_limit(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="SL", trigger="810", price="812", product="MIS")
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.TRIGGER_PENDING
    engine = MatchingEngine(sync_interval=0)
    sid = market["SBIN-EQ"].id
    run(engine.on_tick, tick=Tick(sid, D("809.95"), 1.0, 1, D("809.90"), D("810.00")))
    order.refresh_from_db()
    assert order.status == OrderStatus.TRIGGER_PENDING
    # Gaps through the trigger and beyond the limit: triggered, not marketable, rests at 812.
    run(engine.on_tick, tick=Tick(sid, D("815.00"), 2.0, 1, D("814.95"), D("815.05")))
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    run(engine.on_tick, tick=Tick(sid, D("811.00"), 3.0, 1))
    order.refresh_from_db()
    assert (order.status, order.average_price) == (OrderStatus.FILLED, D("812"))
    assert [e.to_status for e in order.events.all()] == ["NEW", "SUBMITTED", "TRIGGER_PENDING", "OPEN", "FILLED"]


def test_a_stop_market_sell_triggers_and_fills_at_the_bid(market, trader, run):
    order = place(trader, market["SBIN-EQ"], side="SELL", order_type="SL-M", trigger="790", product="MIS")
    run(services.order_submit, order_id=order.id)
    engine = MatchingEngine(sync_interval=0)
    run(engine.on_tick, tick=Tick(market["SBIN-EQ"].id, D("789.00"), 1.0, 1, D("788.95"), D("789.05")))
    order.refresh_from_db()
    assert (order.status, order.average_price) == (OrderStatus.FILLED, D("788.95"))
    position = Position.objects.get(account__user=trader, product="MIS")
    assert position.net_quantity == -10


def test_an_ioc_limit_that_cannot_fill_expires(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700", validity="IOC", product="MIS")
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED and order.reserved_amount == 0
    assert Funds.objects.get(account__user=trader).reserved == 0


def test_modify_then_cancel_a_resting_order(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700", product="MIS")
    run(services.order_submit, order_id=order.id)
    order = run(services.order_modify, user=trader, order=order, changes={"price": D("710"), "quantity": 20})
    assert order.status == OrderStatus.MODIFY_PENDING
    run(services.order_modify_submit, order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.price, order.quantity) == (OrderStatus.OPEN, D("710"), 20)
    assert order.reserved_amount == D("2840.0000")  # 20 * 710 * 0.2
    assert PaperOrder.objects.get(tag=order.broker_tag).price == D("710")
    run(services.order_cancel, user=trader, order=order)
    run(services.order_cancel_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.reserved_amount == 0
    assert Funds.objects.get(account__user=trader).reserved == 0
    assert [e.to_status for e in order.events.all()] == [
        "NEW",
        "SUBMITTED",
        "OPEN",
        "MODIFY_PENDING",
        "OPEN",
        "CANCEL_PENDING",
        "CANCELLED",
    ]


def test_a_modification_that_makes_the_order_marketable_fills_it(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700", product="MIS")
    run(services.order_submit, order_id=order.id)
    run(services.order_modify, user=trader, order=order, changes={"price": D("801")})
    run(services.order_modify_submit, order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.price, order.average_price) == (OrderStatus.FILLED, D("801"), D("800.05"))


def test_cancelling_a_new_order_never_sends_it(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700")
    run(services.order_cancel, user=trader, order=order)
    run(services.order_submit, order_id=order.id)  # the queued task arrives late
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert not PaperOrder.objects.exists()


def test_a_fill_racing_a_cancel_wins_once(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790", product="MIS")
    run(services.order_submit, order_id=order.id)
    engine = MatchingEngine(sync_interval=0)
    engine.sync()
    run(services.order_cancel, user=trader, order=order)  # trader cancels ...
    run(engine.on_tick, tick=Tick(market["SBIN-EQ"].id, D("789"), 1.0, 1))  # ... as the market crosses
    run(services.order_cancel_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED  # the exchange filled it first; the cancel was refused
    assert Trade.objects.filter(order=order).count() == 1
    assert Funds.objects.get(account__user=trader).reserved == 0


# --- Through the API -----------------------------------------------------------------------


def api_body(**kw):
    base = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 10,
        "order_type": "LIMIT",
        "product": "MIS",
        "price": "700",
    }
    return {**base, **kw}


def test_the_same_client_order_id_returns_the_first_order(market, trader):
    client = jwt_client(trader)
    first = client.post(URL, api_body(client_order_id="my-1"), format="json")
    again = client.post(URL, api_body(client_order_id="my-1"), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Order.objects.count() == 1
    different = client.post(URL, api_body(client_order_id="my-1", price="701"), format="json")
    assert different.status_code == 409 and different.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_the_idempotency_key_header_works_like_client_order_id(market, trader):
    client = jwt_client(trader)
    first = client.post(URL, api_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-42")
    again = client.post(URL, api_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-42")
    assert (first.status_code, again.status_code) == (201, 200) and Order.objects.count() == 1
    mismatch = client.post(URL, api_body(client_order_id="other"), format="json", HTTP_IDEMPOTENCY_KEY="k-43")
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "idempotency_key_mismatch"


def test_someone_elses_order_is_a_404_everywhere(market, trader):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700")
    stranger = jwt_client(UserFactory())
    for method, path in [("get", ""), ("get", "events/"), ("patch", ""), ("delete", "")]:
        response = getattr(stranger, method)(f"{URL}{order.id}/{path}", {"price": "701"}, format="json")
        assert response.status_code == 404 and response.json()["error"]["code"] == "order_not_found", (method, path)
    assert stranger.get(URL).json()["count"] == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW and order.price == D("700")


def test_modifying_a_filled_order_and_cancelling_twice_are_409(market, trader, run):
    client = jwt_client(trader)
    filled = place(trader, market["SBIN-EQ"], order_type="MARKET", product="CNC")
    run(services.order_submit, order_id=filled.id)
    response = client.patch(f"{URL}{filled.id}/", {"quantity": 20}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "order_not_modifiable"
    resting = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700")
    run(services.order_submit, order_id=resting.id)
    assert client.delete(f"{URL}{resting.id}/").status_code == 202
    again = client.delete(f"{URL}{resting.id}/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "order_already_cancelling"


def test_a_bad_modification_changes_nothing(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700", product="MIS")
    run(services.order_submit, order_id=order.id)
    client = jwt_client(trader)
    for change, code in [
        ({"price": "700.01"}, "price_not_tick_multiple"),
        ({"quantity": 0}, "invalid_quantity"),
        ({}, "no_changes"),
        ({"colour": "red"}, "unknown_field"),
        ({"quantity": 100000}, "insufficient_funds"),
    ]:
        response = client.patch(f"{URL}{order.id}/", change, format="json")
        assert response.json()["error"]["code"] == code, change
        assert 400 <= response.status_code < 500
    order.refresh_from_db()
    assert (order.status, order.price, order.quantity) == (OrderStatus.OPEN, D("700"), 10)


def test_list_filters_events_and_cancel_all(market, trader, run):
    client = jwt_client(trader)
    a = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="700", product="MIS")
    b = place(trader, market["INFY-EQ"], order_type="LIMIT", price="1400", product="MIS")
    for order in (a, b):
        run(services.order_submit, order_id=order.id)
    assert client.get(URL, {"symbol": "INFY-EQ"}).json()["count"] == 1
    assert client.get(URL, {"status": "OPEN"}).json()["count"] == 2
    bad = client.get(URL, {"status": "WHATEVER"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_status"
    events = client.get(f"{URL}{a.id}/events/").json()["results"]
    assert [e["to_status"] for e in events] == ["NEW", "SUBMITTED", "OPEN"]
    assert events[1]["actor"] == "worker"
    with_callbacks = run
    response = with_callbacks(client.post, path=f"{URL}cancel-all/")
    assert response.status_code == 202 and len(response.json()["cancelled"]) == 2


def test_square_off_closes_positions_at_market(market, trader, run):
    client = jwt_client(trader)
    buy = place(trader, market["INFY-EQ"], quantity=4, product="MIS")
    run(services.order_submit, order_id=buy.id)
    response = client.post("/api/v1/positions/close/", {"symbol": "NSE:INFY-EQ"}, format="json")
    assert response.status_code == 202
    (close,) = response.json()["orders"]
    assert (close["side"], close["quantity"], close["order_type"]) == ("SELL", 4, "MARKET")
    run(services.order_submit, order_id=close["id"])
    position = Position.objects.get(account__user=trader, instrument=market["INFY-EQ"])
    assert position.net_quantity == 0 and position.realised_pnl == D("-0.80")  # 4 * (1499.90 - 1500.10)
    nothing = client.post("/api/v1/positions/close/", {"symbol": "NSE:INFY-EQ"}, format="json")
    assert nothing.status_code == 404 and nothing.json()["error"]["code"] == "no_position"


def test_positions_and_funds_show_live_pnl(market, trader, run):
    buy = place(trader, market["SBIN-EQ"], quantity=10)
    run(services.order_submit, order_id=buy.id)
    set_quote("NSE", "SBIN-EQ", "810.00")
    client = jwt_client(trader)
    (position,) = client.get("/api/v1/positions/").json()["results"]
    assert (position["net_quantity"], position["ltp"], position["unrealised_pnl"]) == (10, "810.00", "99.50")
    funds = client.get("/api/v1/funds/").json()
    assert funds["unrealised_pnl"] == "99.50" and funds["margin_used"] == "8000.50"
    assert funds["available"] == "991999.50"
    ledger = client.get("/api/v1/funds/ledger/").json()
    assert [e["kind"] for e in ledger["results"]] == ["DEPOSIT"]


def test_positions_list_open_ones_and_those_closed_today_only(market, trader):
    from datetime import timedelta

    from django.utils import timezone

    from orders.books import risk_usage_verify
    from orders.selectors import positions_for_user

    account = default_account_for(trader)
    Position.objects.create(account=account, instrument=market["SBIN-EQ"], product="CNC", net_quantity=5)
    today = Position.objects.create(account=account, instrument=market["INFY-EQ"], product="MIS", net_quantity=0)
    old = Position.objects.create(account=account, instrument=market["TCS-EQ"], product="MIS", net_quantity=0)
    Position.objects.filter(id=old.id).update(updated_at=timezone.now() - timedelta(days=2))
    risk_usage_verify([account.id])  # positions made behind the books: the risk usage from the rows
    shown = {v.position.id for v in positions_for_user(user=trader)}
    assert today.id in shown and old.id not in shown and len(shown) == 2
    assert {v.position.id for v in positions_for_user(user=trader, include_closed=False)} == shown - {today.id}


def test_api_times_are_utc_while_the_dashboard_shows_ist(market, trader, client, password):
    order = place(trader, market["SBIN-EQ"], quantity=3)
    body = jwt_client(trader).get(f"{URL}{order.id}/").json()
    assert body["created_at"].endswith("Z")
    events = jwt_client(trader).get(f"{URL}{order.id}/events/").json()["results"]
    assert events[0]["at"].endswith("Z")


def test_margin_used_stays_the_sum_of_each_positions_margin_however_fills_round(market, trader, run):
    """MIS margin is a fraction of value; averages of odd prices round. Funds keep exactly what a recount gives."""
    fills = [("SBIN-EQ", "BUY", 3, "800.05"), ("INFY-EQ", "BUY", 7, "1500.10"), ("SBIN-EQ", "BUY", 11, "801.15")]
    fills += [("SBIN-EQ", "SELL", 5, "802.35"), ("INFY-EQ", "SELL", 9, "1499.95"), ("SBIN-EQ", "BUY", 13, "799.85")]
    for symbol, side, quantity, price in fills:
        set_quote("NSE", symbol, price, bid=price, ask=price)
        order = place(trader, market[symbol], side=side, quantity=quantity, product="MIS")
        run(services.order_submit, order_id=order.id)
        funds = Funds.objects.get(account__user=trader)
        recount = sum(
            (
                services.position_margin(
                    instrument=p.instrument,
                    product=p.product,
                    net_quantity=p.net_quantity,
                    average_price=p.average_price,
                )
                for p in Position.objects.all()
            ),
            D(0),
        )
        assert funds.margin_used == recount, (symbol, side, quantity, price)
    assert Position.objects.get(instrument=market["INFY-EQ"]).net_quantity == -2
    assert ledger_sums_to_cash(trader)


@pytest.mark.django_db(transaction=True)  # commits for real, as in the worker: on-commit hooks run at once
def test_a_marketable_order_goes_out_and_is_booked_with_each_row_written_once(market, trader, monkeypatch):
    """The worker's hot path: claim, place at the paper exchange, book the fill. Each row is written once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketdata.selectors import instrument_cached, instrument_cached_by_id

    # The placement's queue message is dropped, as when a task is lost: this test is then the only worker that
    # sees the order (a session worker consuming the real queue would race it for the claim).
    monkeypatch.setattr("orders.services.dispatch.enqueue", lambda *args: None)
    order = place(trader, market["SBIN-EQ"], quantity=10)
    instrument_cached_by_id(order.instrument_id), instrument_cached(exchange="NSE", symbol="SBIN-EQ")  # warm
    with CaptureQueriesContext(connection) as queries:
        services.order_submit(order_id=order.id)
    statements = [q["sql"].split()[0] for q in queries if q["sql"].split()[0] not in ("BEGIN", "COMMIT")]
    assert Order.objects.get(id=order.id).status == OrderStatus.FILLED
    # claim + read + event; paper order + fill; funds, order, position (locked), trade, position, event,
    # the owner's notification preferences read once (for the dashboard's fill notice, then remembered for
    # a few seconds: the other channels after the commit read no more), the notice, order and funds written
    # once each. The paper exchange's answer says its stream already booked it: no read of the order
    # afterwards. No existence check for the first fill. After each of the two commits, the live stream's
    # events of that transaction in one write (the user's cursor moved, read, the events inserted).
    assert len(statements) == 21, "\n".join(q["sql"][:60] for q in queries)
    stream_writes = [q["sql"] for q in queries if '"notifications_stream' in q["sql"]]
    assert len(stream_writes) == 6


def test_a_placement_reads_and_writes_only_the_accounts_own_rows_once_each(market, trader):
    """Under the account's lock: the funds row, then the risk profile with the account's row (its paper/live
    mode) in one read, the order, its event, and the funds written once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    place(trader, market["SBIN-EQ"], quantity=1)  # the account, the instrument and the quote are remembered
    with CaptureQueriesContext(connection) as queries:
        place(trader, market["SBIN-EQ"], quantity=1)
    ours = [q["sql"] for q in queries if '"orders_' in q["sql"] or '"accounts_' in q["sql"]]
    shape = [(sql.split()[0], sql.split('"')[1]) for sql in ours]
    assert shape == [
        ("SELECT", "orders_funds"),
        ("SELECT", "orders_riskprofile"),
        ("INSERT", "orders_order"),
        ("INSERT", "orders_orderevent"),
        ("UPDATE", "orders_funds"),
    ], "\n".join(sql[:90] for sql in ours)
    assert '"accounts_tradingaccount"' in ours[1]  # the mode, read in the profile's statement
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in ours[0]
