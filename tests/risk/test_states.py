"""Trading states: the daily loss limit, the kill switch (trader's, admin's, platform-wide) and reactivation."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core import clock, events
from orders import services
from orders.models import Order, OrderStatus, Position
from orders.services.risk_actions import kill_switch_activate, platform_halt, platform_resume, risk_daily_loss_sweep
from risk.models import RiskEvent, TradingState
from risk.profiles import risk_profile_for
from risk.services import trading_state_reactivate
from tests.conftest import jwt_client
from tests.orders.conftest import params, set_quote

pytestmark = pytest.mark.django_db


def place(trader, instrument, **kw):
    return services.order_place(user=trader, instrument=instrument, params=params(**kw))[0]


def profile_of(trader):
    return risk_profile_for(default_account_for(trader).id)


@pytest.fixture
def long_100_sbin(market, trader, run):
    """100 SBIN bought at 800.05 (MIS), daily loss limit 1,000."""
    profile = profile_of(trader)
    profile.daily_loss_limit = D("1000.00")
    profile.save()
    order = place(trader, market["SBIN-EQ"], quantity=100, product="MIS")
    run(services.order_submit, order_id=order.id)
    return market["SBIN-EQ"]


@pytest.fixture
def heard():
    seen = []
    events.subscribe("risk.", seen.append)
    yield seen
    events._handlers[:] = [(name, h) for name, h in events._handlers if h != seen.append]


def test_a_quote_moving_the_loss_to_the_limit_moves_the_account_to_reducing_with_no_order(
    long_100_sbin, trader, heard, run
):
    set_quote("NSE", "SBIN-EQ", "790.06", bid="790.05", ask="790.07")  # loss 999.00: not yet
    assert risk_daily_loss_sweep()["reducing"] == 0 and profile_of(trader).state == TradingState.ACTIVE
    set_quote("NSE", "SBIN-EQ", "790.05", bid="790.00", ask="790.10")  # loss 1,000.00: reached
    assert run(risk_daily_loss_sweep)["reducing"] == 1
    profile = profile_of(trader)
    assert (profile.state, profile.state_code) == (TradingState.REDUCING, "risk_daily_loss_limit")
    assert {e.name for e in heard} >= {"risk.state_changed", "risk.daily_loss_limit"}
    with pytest.raises(Exception) as caught:
        place(trader, long_100_sbin, quantity=1, product="MIS")
    assert caught.value.code == "risk_reducing_only"
    assert place(trader, long_100_sbin, side="SELL", quantity=100, product="MIS").status == OrderStatus.NEW


def test_reducing_for_the_daily_loss_ends_with_the_day(long_100_sbin, trader, monkeypatch, run):
    set_quote("NSE", "SBIN-EQ", "780.00", bid="779.95", ask="780.05")
    run(risk_daily_loss_sweep)
    with pytest.raises(Exception) as caught:
        trading_state_reactivate(account=default_account_for(trader), actor="user:x")
    assert caught.value.code == "risk_reactivation_not_allowed"
    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr("core.clock.now", lambda: tomorrow)
    assert risk_daily_loss_sweep()["reset"] == 1
    assert profile_of(trader).state == TradingState.ACTIVE


def test_the_kill_switch_cancels_squares_off_and_halts_and_a_paper_trader_may_resume_the_same_day(
    long_100_sbin, trader, run, heard
):
    resting = place(trader, long_100_sbin, order_type="LIMIT", price="790.00", quantity=5, product="MIS")
    result = run(kill_switch_activate, account=default_account_for(trader), actor="user:t", square_off=True)
    assert [o.id for o in result.cancelled] == [resting.id]
    (closing,) = result.closing
    assert (closing.side, closing.quantity, closing.status) == ("SELL", 100, OrderStatus.NEW)
    profile = profile_of(trader)
    assert profile.state == TradingState.HALTED and profile.reactivate_after <= clock.now()
    with pytest.raises(Exception) as caught:
        place(trader, long_100_sbin, quantity=1, product="MIS")
    assert caught.value.code == "risk_halted"
    assert trading_state_reactivate(account=default_account_for(trader), actor="user:t").state == TradingState.ACTIVE
    kinds = list(RiskEvent.objects.filter(account=default_account_for(trader)).values_list("kind", "code"))
    assert ("KILL_SWITCH", "risk_kill_switch") in kinds and ("STATE", "risk_reactivated") in kinds
    assert "risk.kill_switch" in {e.name for e in heard}


def test_a_live_traders_kill_switch_holds_until_the_next_trading_day(market, trader, monkeypatch):
    TradingAccount.objects.filter(user=trader).update(mode=TradingAccount.Mode.LIVE)
    account = TradingAccount.objects.get(user=trader)
    kill_switch_activate(account=account, actor="user:t", square_off=False)
    profile = profile_of(trader)
    assert profile.state == TradingState.HALTED and profile.reactivate_after > clock.now()
    TradingAccount.objects.filter(user=trader).update(mode=TradingAccount.Mode.PAPER)  # no shortcut through paper
    with pytest.raises(Exception) as caught:
        trading_state_reactivate(account=account, actor="user:t")
    assert caught.value.code == "risk_reactivation_not_yet"
    later = profile.reactivate_after + timedelta(minutes=1)
    monkeypatch.setattr("core.clock.now", lambda: later)
    assert trading_state_reactivate(account=account, actor="user:t").state == TradingState.ACTIVE


def test_the_kill_switch_square_off_is_never_refused_by_the_limits_it_enforces(long_100_sbin, trader, run):
    profile = profile_of(trader)
    profile.max_order_value_equity, profile.max_quantity_equity, profile.max_orders_per_day = D("1"), 1, 0
    profile.save()
    result = run(kill_switch_activate, account=default_account_for(trader), actor="user:t", square_off=True)
    (closing,) = result.closing
    run(services.order_submit, order_id=closing.id)
    assert Position.objects.get(account=default_account_for(trader), product="MIS").net_quantity == 0


def test_an_admin_halt_is_lifted_only_by_an_admin(market, trader):
    kill_switch_activate(account=default_account_for(trader), actor="admin:root", square_off=False, by_admin=True)
    with pytest.raises(Exception) as caught:
        trading_state_reactivate(account=default_account_for(trader), actor="user:t")
    assert caught.value.code == "risk_reactivation_not_allowed"
    trading_state_reactivate(account=default_account_for(trader), actor="admin:root", by_admin=True)
    assert profile_of(trader).state == TradingState.ACTIVE


def test_the_platform_kill_switch_stops_every_account(market, trader):
    from orders.services import account_open
    from tests.accounts.factories import UserFactory

    other = UserFactory()
    account_open(user=other, starting_funds=D("100000"), always_open=True)
    assert platform_halt(actor="admin:root", reason="exchange glitch") == 2
    for user in (trader, other):
        with pytest.raises(Exception) as caught:
            place(user, market["SBIN-EQ"], quantity=1)
        assert caught.value.code == "risk_platform_halted"
    platform_resume(actor="admin:root")
    with pytest.raises(Exception) as caught:
        place(trader, market["SBIN-EQ"], quantity=1)
    assert caught.value.code == "risk_halted"  # each account stays halted until reactivated


def test_the_risk_api_shows_limits_usage_and_state_and_takes_the_kill_switch(market, trader):
    client = jwt_client(trader)
    place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=1)
    body = client.get("/api/v1/risk/").json()
    assert body["profile"]["state"] == "ACTIVE" and body["platform_halted"] is False
    usage = {u["key"]: u for u in body["usage"]}
    assert usage["open_orders"]["used"] == "1.00" and usage["open_orders"]["level"] == "ok"
    halted = client.post("/api/v1/risk/kill-switch/", {"square_off": False}, format="json")
    assert halted.status_code == 202 and halted.json()["state"] == "HALTED"
    assert len(halted.json()["cancelled"]) == 1
    reactivated = client.post("/api/v1/risk/reactivate/")  # a paper account: at once
    assert (reactivated.status_code, reactivated.json()["state"]) == (200, "ACTIVE")
    assert Order.objects.get().status == OrderStatus.CANCELLED


def test_reactivate_refuses_fields_it_does_not_know(market, trader):
    """`{"force": true}` must not read as if it did something: refused before anything is looked at."""
    client = jwt_client(trader)
    client.post("/api/v1/risk/kill-switch/", {"square_off": False}, format="json")
    refused = client.post("/api/v1/risk/reactivate/", {"force": True}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "unknown_field")
    assert "force" in refused.json()["error"]["fields"]
    assert client.get("/api/v1/risk/").json()["profile"]["state"] == "HALTED"
