"""Failed API authentication: wrong keys and tokens are counted per address (429 `rate_limited` past the limit),
and a session call without its CSRF token is refused with the documented `csrf_failed`."""

from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.services import api_key_create
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db
ME_URL = "/api/v1/me/"
BAD_KEY = "tpk_0123456789ab.not-the-secret-of-any-key-at-all-000000000000"


def call(authorization: str, address: str = "198.51.100.7"):
    return APIClient().get(ME_URL, HTTP_AUTHORIZATION=authorization, REMOTE_ADDR=address)


def expired_token(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


@override_settings(AUTH_FAILURE_RATE_LIMIT="3/m")
def test_wrong_api_keys_from_one_address_are_refused_with_429_past_the_limit(user):
    statuses = [call(f"Api-Key {BAD_KEY}").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = call(f"Api-Key {BAD_KEY}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert call(f"Api-Key {BAD_KEY}", address="198.51.100.8").status_code == 401  # another address is not limited


@override_settings(AUTH_FAILURE_RATE_LIMIT="3/m")
def test_bad_and_expired_tokens_count_with_wrong_keys(user):
    _, good_key = api_key_create(user=user, name="bot", scopes=["read"])
    assert call("Bearer not-a-token").status_code == 401
    assert call(f"Bearer {expired_token(user)}").status_code == 401
    assert call(f"Api-Key {BAD_KEY}").status_code == 401
    refused = call("Bearer not-a-token")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")
    assert "Retry-After" in refused
    # Only failures count and are refused: good credentials from the same address still work.
    assert call(f"Api-Key {good_key}").status_code == 200
    assert jwt_client(user).get(ME_URL, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_session_call_without_its_csrf_token_is_refused_with_csrf_failed(user, password):
    client = APIClient(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # the login page sets the CSRF cookie
    form = {"username": user.username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    assert client.post("/accounts/login/", form).status_code == 302
    refused = client.post("/api/v1/notifications/read/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    token = client.cookies["csrftoken"].value
    assert client.post("/api/v1/notifications/read/", {}, format="json", HTTP_X_CSRFTOKEN=token).status_code == 200
