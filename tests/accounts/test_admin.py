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
