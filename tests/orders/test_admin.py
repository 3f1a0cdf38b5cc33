import pytest

from accounts.selectors import default_account_for
from orders import services
from orders.models import OrderStatus
from tests.accounts.factories import UserFactory
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_lists_orders_with_filters_and_shows_the_event_history(admin_client, market, trader):
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))
    listing = admin_client.get("/admin/orders/order/", {"status__exact": "NEW", "q": str(order.id)})
    assert listing.status_code == 200 and f">{order.id}<" in listing.content.decode()
    detail = admin_client.get(f"/admin/orders/order/{order.id}/change/")
    assert detail.status_code == 200
    assert "Accepted; " in detail.content.decode()  # the NEW event's reason, inline
    assert 'name="_save"' not in detail.content.decode()  # read-only


def test_admin_cancel_action_goes_through_the_service(admin_client, market, trader):
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))
    response = admin_client.post(
        "/admin/orders/order/", {"action": "cancel_orders", "_selected_action": [order.id]}, follow=True
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED  # it was NEW: cancelled at once, funds released
    assert order.events.last().actor == "admin:root"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/orders/trade/",
        "/admin/orders/position/",
        "/admin/orders/funds/",
        "/admin/orders/ledgerentry/",
        "/admin/brokers/paperorder/",
        "/admin/accounts/tradingaccount/",
        "/admin/marketdata/instrument/",
        "/admin/marketdata/candle/",
    ],
)
def test_admin_pages_load(admin_client, trader, path):
    assert admin_client.get(path).status_code == 200


def test_money_cannot_be_edited_or_added_in_the_admin(admin_client, trader):
    funds_id = default_account_for(trader).funds.id
    assert admin_client.get("/admin/orders/ledgerentry/add/").status_code == 403
    page = admin_client.get(f"/admin/orders/funds/{funds_id}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_admin_shows_money_in_rupees_with_indian_grouping(admin_client, market, trader):
    services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))
    funds = admin_client.get("/admin/orders/funds/").content.decode()
    assert "₹10,00,000.00" in funds  # cash
    ledger = admin_client.get("/admin/orders/ledgerentry/").content.decode()
    assert "+₹10,00,000.00" in ledger and "1000000.0000" not in ledger
    orders = admin_client.get("/admin/orders/order/").content.decode()
    assert "₹2,424.15" in orders  # reserved: 3 x 800.05 (the ask) plus 1%
