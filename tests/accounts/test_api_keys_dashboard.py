"""The API keys page: list, create (the key shown once), revoke; and the admin's view of keys."""

import hashlib
import re

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from accounts.services import api_key_create
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/accounts/api-keys/"
CREATE = "/accounts/api-keys/new/"
KEY_RE = re.compile(r'value="(tpk_[0-9a-f]{12}\.[A-Za-z0-9_-]+)"')


@pytest.fixture
def logged_in(client, user, password):
    client.login(username=user.username, password=password)
    return client


def test_the_page_is_linked_from_the_account_page_and_lists_only_the_users_keys(logged_in, user):
    api_key_create(user=user, name="mine", scopes=["read"])
    api_key_create(user=UserFactory(), name="theirs", scopes=["read"])
    assert PAGE in logged_in.get("/accounts/password/").content.decode()
    response = logged_in.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "mine" in html and "theirs" not in html
    assert "paper only" in html and "never" in html


def test_creating_a_key_shows_it_once(logged_in, user):
    form = {"name": "laptop", "scopes": ["read", "trade"], "expires_in_days": "30", "allowed_ips": "10.0.0.0/8, ::1"}
    response = logged_in.post(CREATE, form)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw_key = KEY_RE.search(response.content.decode()).group(1)
    key = ApiKey.objects.get(user=user)
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert (key.name, key.scopes, key.live_allowed, key.allowed_ips) == (
        "laptop",
        ["read", "trade"],
        False,
        ["10.0.0.0/8", "::1"],
    )
    assert key.expires_at is not None
    assert raw_key not in logged_in.get(PAGE).content.decode()  # never again
    assert 'data-copy="#new-api-key"' in response.content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "scopes": ["read"]}, "This field is required."),
        ({"name": "x", "scopes": ["root"]}, "Select a valid choice."),
        ({"name": "x", "scopes": ["read"], "allowed_ips": "10.0.0.1 example.com"}, "is not an IP address"),
        ({"name": "dup", "scopes": ["read"]}, "You already have a key named"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_reason(logged_in, user, form, message):
    api_key_create(user=user, name="dup", scopes=["read"])
    response = logged_in.post(CREATE, form)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not KEY_RE.search(response.content.decode())
    assert ApiKey.objects.filter(user=user).count() == 1


def test_revoking_from_the_page(logged_in, user):
    key, _ = api_key_create(user=user, name="old", scopes=["read"])
    url = reverse("accounts:api-key-revoke", args=[key.id])
    assert 'hx-confirm="Revoke the key old?' in logged_in.get(PAGE).content.decode()
    response = logged_in.post(url, HTTP_HX_REQUEST="true")  # what the confirmed button sends
    assert response.status_code == 200
    assert 'data-status="revoked"' in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = logged_in.post(url)  # without JavaScript: a flash message and back to the page
    assert response.status_code == 302 and response["Location"] == PAGE


def test_someone_elses_key_cannot_be_revoked_from_the_page(logged_in):
    other, _ = api_key_create(user=UserFactory(), name="theirs", scopes=["read"])
    response = logged_in.post(reverse("accounts:api-key-revoke", args=[other.id]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_admin_lists_keys_without_their_digest_and_revokes_them(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="boss-pass-12345")
    key, raw_key = api_key_create(user=UserFactory(), name="bot", scopes=["read"])
    client.force_login(admin)
    html = (
        client.get("/admin/accounts/apikey/").content.decode()
        + client.get(f"/admin/accounts/apikey/{key.id}/change/").content.decode()
    )
    assert key.prefix in html
    assert key.key_hash not in html and raw_key not in html
    response = client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key.id]}, follow=True)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
