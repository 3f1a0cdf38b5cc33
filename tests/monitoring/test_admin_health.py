"""The admin's System health page: the same checks as /health/ready, for staff only."""

import pytest

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_see_every_check_and_the_verdict(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = ["database", "cache", "databse"]
    client.force_login(UserFactory(is_staff=True))

    response = client.get("/admin/health/")

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("database", "cache", "celery_broker", "worker", "beat", "feed", "broker_angelone"):
        assert f'data-check="{name}"' in page
    assert "Not ready" in page and "databse" in page


def test_the_admin_index_links_to_it(client):
    client.force_login(UserFactory(is_staff=True))
    assert 'href="/admin/health/"' in client.get("/admin/").content.decode()


def test_a_trader_who_is_not_staff_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())

    response = client.get("/admin/health/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
