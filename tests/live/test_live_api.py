"""The live-trading API: the account's mode and broker health, the switch, external orders, notifications."""

import pytest

from accounts.selectors import default_account_for
from brokers.models import BrokerAccount
from notifications.models import Notification
from orders.models import ExternalOrder
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db


def test_the_mode_endpoint_switches_to_live_and_reports_the_brokers_health(trader):
    BrokerAccount.objects.create(
        account=default_account_for(trader), client_code="A1", api_key="k", pin="1", totp_secret="JBSWY3DP"
    )
    client = jwt_client(trader)
    assert client.get("/api/v1/account/mode/").json()["mode"] == "paper"

    body = client.post("/api/v1/account/mode/", {"mode": "live"}, format="json").json()
    assert body == {
        "mode": "live",
        "broker": "angelone",
        "breaker": "closed",
        "broker_down": False,
        "session": "new",
        "session_message": "",
    }


def test_switching_with_open_positions_is_a_409_with_its_code(market, trader, run):
    from orders import services
    from tests.orders.conftest import params

    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    run(services.order_submit, order_id=order.id)
    response = jwt_client(trader).post("/api/v1/account/mode/", {"mode": "live"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "positions_held")


def test_a_bad_mode_is_a_400(trader):
    response = jwt_client(trader).post("/api/v1/account/mode/", {"mode": "casino"}, format="json")
    assert response.status_code == 400


def test_notifications_are_listed_and_dismissed(trader):
    mine = Notification.objects.create(user=trader, code="broker_rejected", message="Order #1 was rejected")
    client = jwt_client(trader)
    assert [n["id"] for n in client.get("/api/v1/notifications/").json()["results"]] == [mine.id]
    assert client.post("/api/v1/notifications/read/", {"ids": [mine.id]}, format="json").json() == {"read": 1}
    assert client.get("/api/v1/notifications/").json()["results"] == []


def test_external_orders_are_listed_only_to_their_owner(trader, market):
    from django.utils import timezone

    from tests.accounts.factories import UserFactory

    ExternalOrder.objects.create(
        account=default_account_for(trader),
        broker_order_id="9001",
        symbol="INFY-EQ",
        side="SELL",
        quantity=7,
        status="open",
        first_seen_at=timezone.now(),
    )
    rows = jwt_client(trader).get("/api/v1/orders/external/").json()["results"]
    assert [(r["broker_order_id"], r["symbol"], r["quantity"]) for r in rows] == [("9001", "INFY-EQ", 7)]
    assert jwt_client(UserFactory()).get("/api/v1/orders/external/").json()["results"] == []
