"""Notices and notification preferences belong to a trading account: with one of the trader's accounts chosen
(X-Trading-Account, the dashboard's switcher) only its notices, and the ones about the trader (a login
lock-out), show, and only its preferences are edited; an event on an account is delivered as that account's
preferences say."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core import events
from notifications.deliveries import webhook_secret_for
from notifications.models import Delivery, Notification, NotificationPreference
from notifications.services import notification_create, preferences_update
from orders import services
from orders.models import OrderStatus
from orders.services import paper_account_open
from risk.events import DailyLossLimitReached, KillSwitchActivated
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db
NOTICES = "/api/v1/notifications/"
PREFERENCES = "/api/v1/notifications/preferences/"


@pytest.fixture
def two(trader):
    """The trader's default account A and a second paper account B, each with a notice; and one about the user."""
    a = default_account_for(trader)
    b = paper_account_open(user=trader, name="Second")
    TradingAccount.objects.filter(pk=b.pk).update(always_open=True)
    b.always_open = True
    notice_a = notification_create(user_id=trader.id, account_id=a.id, code="order_filled", message="on A")
    notice_b = notification_create(user_id=trader.id, account_id=b.id, code="order_filled", message="on B")
    locked = notification_create(user_id=trader.id, code="account_locked", message="logins locked")
    return a, b, {"a": notice_a.id, "b": notice_b.id, "user": locked.id}


def _on(client, account):
    client.credentials(**{**client._credentials, "HTTP_X_TRADING_ACCOUNT": str(account.id)})
    return client


def _messages(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["message"] for row in response.json()["results"]}


def test_each_account_lists_its_own_notices_and_the_users(trader, two):
    a, b, _ = two
    api = jwt_client(trader)
    assert _messages(api.get(NOTICES)) == {"on A", "logins locked"}  # no header: the default account
    assert _messages(_on(api, a).get(NOTICES)) == {"on A", "logins locked"}
    assert _messages(_on(api, b).get(NOTICES)) == {"on B", "logins locked"}


def test_the_notice_keeps_its_json_shape_with_the_order_as_an_id(trader, two):
    _, _, ids = two
    Notification.objects.filter(id=ids["a"]).update(order_id=77)
    (row,) = [r for r in jwt_client(trader).get(NOTICES).json()["results"] if r["id"] == ids["a"]]
    assert set(row) == {"id", "level", "code", "message", "order", "created_at"} and row["order"] == 77


def test_dismissing_all_on_one_account_leaves_the_others_notices(trader, two):
    _, b, ids = two
    api = _on(jwt_client(trader), b)
    assert api.post(f"{NOTICES}read/", {"ids": [ids["a"]]}, format="json").json() == {"read": 0}  # A's: not here
    assert api.post(f"{NOTICES}read/", {}, format="json").json() == {"read": 2}  # B's and the user's
    assert set(Notification.objects.filter(read_at=None).values_list("id", flat=True)) == {ids["a"]}


def test_the_dashboard_banner_shows_the_switched_to_accounts_notices(trader, two):
    _, b, _ = two
    web = Client()
    web.force_login(trader)
    page = web.get("/trading/notices/").content.decode()
    assert "on A" in page and "on B" not in page and "logins locked" in page
    assert web.post("/accounts/trading-account/", {"account": b.id}).status_code == 302
    page = web.get("/trading/notices/").content.decode()
    assert "on B" in page and "on A" not in page and "logins locked" in page


def test_each_account_has_its_own_preferences(trader, two):
    a, b, _ = two
    api = jwt_client(trader)
    put = {"events": ["fills"], "channels": ["email"], "email": "b@example.com"}
    assert _on(api, b).put(PREFERENCES, put, format="json").status_code == 200
    assert _on(api, b).get(PREFERENCES).json()["email"] == "b@example.com"
    assert _on(api, a).get(PREFERENCES).json()["email"] == ""
    api = jwt_client(trader)  # no header: the default account's, as before there were several
    assert api.get(PREFERENCES).json() == _on(jwt_client(trader), a).get(PREFERENCES).json()
    assert NotificationPreference.objects.get(account=b).email == "b@example.com"


def test_the_preferences_page_edits_the_switched_to_account(trader, two):
    a, b, _ = two
    web = Client()
    web.force_login(trader)
    web.post("/accounts/trading-account/", {"account": b.id})
    form = {"events": ["fills"], "channels": ["email"], "email": "page@example.com", "in_app_fills": "on"}
    assert web.post("/accounts/notifications/", form).status_code == 200
    assert NotificationPreference.objects.get(account=b).email == "page@example.com"
    assert not NotificationPreference.objects.filter(account=a, email="page@example.com").exists()
    assert "Second" in web.get("/accounts/notifications/").content.decode()


def test_another_users_account_header_is_a_404_on_notices_and_preferences(trader, two):
    _, b, _ = two
    other = _on(jwt_client(UserFactory()), b)
    assert other.get(NOTICES).status_code == 404 and other.get(PREFERENCES).status_code == 404


def test_an_event_on_account_b_is_delivered_as_bs_preferences_say(trader, two, webhook, commit):
    a, b, _ = two
    preferences_update(user=trader, account=a, events=["fills"], channels=["webhook"], webhook_url=webhook.url + "/a")
    _, secret_b = preferences_update(
        user=trader, account=b, events=["daily_loss_limit"], channels=["webhook"], webhook_url=webhook.url + "/b"
    )
    commit(events.publish, event=DailyLossLimitReached(account_id=b.id, day_pnl=Decimal("-1"), limit=Decimal("1")))
    (hook,) = webhook.received
    assert hook.path == "/b" and hook.signed_with(secret_b)
    assert webhook_secret_for(trader.id, b.id) == secret_b
    commit(events.publish, event=DailyLossLimitReached(account_id=a.id, day_pnl=Decimal("-1"), limit=Decimal("1")))
    assert len(webhook.received) == 1  # A did not choose the daily loss limit
    delivery = Delivery.objects.get()
    assert delivery.account_id == b.id and delivery.user_id == trader.id


def test_a_fill_on_b_leaves_its_notice_on_b_and_follows_bs_in_app_choice(market, trader, two, commit):
    a, b, _ = two
    preferences_update(user=trader, account=a, events=[], channels=[], in_app_fills=False)
    on_b, _ = services.order_place(user=trader, account=b, instrument=market["SBIN-EQ"], params=params(quantity=1))
    commit(services.order_submit, order_id=on_b.id)
    on_b.refresh_from_db()
    assert on_b.status == OrderStatus.FILLED
    notice = Notification.objects.get(code="order_filled", order_id=on_b.id)
    assert notice.account_id == b.id
    on_a, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=1))
    commit(services.order_submit, order_id=on_a.id)
    assert not Notification.objects.filter(order_id=on_a.id).exists()  # turned off on A only


def test_a_platform_wide_event_reaches_a_place_once_however_many_accounts_chose_it(trader, two, webhook, commit):
    a, b, _ = two
    for account in (a, b):
        preferences_update(
            user=trader, account=account, events=["kill_switch"], channels=["webhook"], webhook_url=webhook.url
        )
    commit(events.publish, event=KillSwitchActivated(actor="admin", square_off=False, platform=True))
    assert len(webhook.received) == 1
