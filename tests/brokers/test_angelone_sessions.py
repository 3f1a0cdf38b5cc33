"""Login, shared sessions, renewal, the daily session end and credentials that stop working."""

from datetime import timedelta

import pytest

from brokers.angelone.adapter import AngelOneBroker, forget_clients
from brokers.base import BrokerRejected
from brokers.models import BrokerAccount
from core import clock

from .conftest import make_live_account


def test_it_logs_in_with_pin_and_totp_and_stores_the_session_encrypted(live_account, fake):
    broker = AngelOneBroker(live_account.account)

    profile = broker.profile()

    assert profile["clientcode"] == "A123456"
    row = BrokerAccount.objects.get(pk=live_account.pk)
    assert row.status == BrokerAccount.Status.CONNECTED
    assert row.jwt_token in fake.state.jwts
    raw = BrokerAccount.objects.filter(pk=row.pk).values_list("jwt_token", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT jwt_token, pin FROM brokers_brokeraccount WHERE id = %s", [row.pk])
        stored_jwt, stored_pin = cursor.fetchone()
    assert row.jwt_token not in stored_jwt and stored_pin != "4321"
    assert list(raw) == [row.jwt_token]  # the ORM reads it back decrypted
    assert fake.state.logins == 1


def test_another_process_reuses_the_stored_session_without_logging_in(live_account, fake):
    AngelOneBroker(live_account.account).profile()
    forget_clients()  # what a second worker process starts with: nothing in memory

    AngelOneBroker(live_account.account).funds()

    assert fake.state.logins == 1


def test_an_expired_token_is_renewed_with_the_refresh_token_and_the_call_repeated(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.admin("POST", "expire-tokens")

    funds = broker.funds()

    assert funds.available is not None
    assert fake.state.requests["generateTokens"] == 1
    assert fake.state.requests["getRMS"] == 2  # refused once (AG8001), then answered


def test_a_refused_refresh_token_falls_back_to_a_fresh_login(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.state.refresh_tokens.clear()
    fake.admin("POST", "expire-tokens")

    broker.profile()

    assert fake.state.requests["generateTokens"] == 1
    assert fake.state.logins == 2


def test_the_first_call_after_midnight_ist_logs_in_for_the_new_day(live_account, fake, monkeypatch):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr("core.clock.now", lambda: tomorrow)

    broker.profile()

    assert fake.state.logins == 2
    assert fake.state.requests["generateTokens"] == 0  # a new day needs a new login, not a refresh
    assert (
        BrokerAccount.objects.get(pk=live_account.pk).session_day
        == tomorrow.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kolkata")).date()
    )


@pytest.mark.parametrize(
    ("credentials", "broker_message"),
    [
        ({"pin": "0000"}, "Invalid clientcode or password"),
        ({"totp_secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}, "Invalid totp"),
    ],
)
def test_credentials_that_stop_working_disconnect_the_account_with_the_brokers_message(
    db, fake, credentials, broker_message
):
    broker_account = make_live_account(**credentials)
    broker = AngelOneBroker(broker_account.account)

    with pytest.raises(BrokerRejected) as caught:
        broker.place_order(_request())

    assert caught.value.code == "broker_session_expired"
    assert broker_message in caught.value.message
    row = BrokerAccount.objects.get(pk=broker_account.pk)
    assert row.status == BrokerAccount.Status.DISCONNECTED
    assert row.status_message == broker_message
    assert fake.state.order_requests.total() == 0


def test_a_disconnected_account_fails_fast_without_trying_to_log_in_again(db, fake):
    broker_account = make_live_account(pin="0000")
    broker = AngelOneBroker(broker_account.account)
    with pytest.raises(BrokerRejected):
        broker.funds()
    attempts = fake.state.requests["loginByPassword"]

    with pytest.raises(BrokerRejected) as caught:
        AngelOneBroker(broker_account.account).positions()

    assert caught.value.code == "broker_session_expired"
    assert fake.state.requests["loginByPassword"] == attempts  # a wrong PIN is not tried again and again


def test_log_in_now_after_fixing_the_pin_reconnects(db, fake):
    broker_account = make_live_account(pin="0000")
    broker = AngelOneBroker(broker_account.account)
    with pytest.raises(BrokerRejected):
        broker.funds()
    broker_account.pin = "4321"
    broker_account.save(update_fields=["pin"])

    broker.client.login_now()

    assert BrokerAccount.objects.get(pk=broker_account.pk).status == BrokerAccount.Status.CONNECTED
    assert broker.funds().available is not None


def _request():
    from brokers.base import OrderType, PlaceOrderRequest, Product, Side, Validity

    return PlaceOrderRequest(
        tag="T1",
        exchange="NSE",
        symbol="SBIN-EQ",
        token="3045",
        side=Side.BUY,
        quantity=1,
        order_type=OrderType.MARKET,
        product=Product.CNC,
        validity=Validity.DAY,
    )
