import pytest

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_and_searches_users(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    UserFactory(username="ravi")
    UserFactory(username="meera")
    client.force_login(admin)
    response = client.get("/admin/accounts/user/", {"q": "ravi"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "ravi" in content and "meera" not in content


def test_admin_is_closed_to_traders(client, user):
    client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_shows_but_cannot_flip_an_account_between_paper_and_live(client):
    from accounts.models import TradingAccount

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    trader = UserFactory(username="ravi")
    account = TradingAccount.objects.create(user=trader)
    client.force_login(admin)
    url = f"/admin/accounts/tradingaccount/{account.pk}/change/"
    page = client.get(url).content.decode()
    assert "Paper" in page and 'name="mode"' not in page
    response = client.post(url, {"user": trader.pk, "mode": "live", "broker": "angelone", "always_open": "on"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.mode, account.broker, account.always_open) == ("paper", "paper", True)
