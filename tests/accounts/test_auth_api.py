from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_it_issues_a_token_pair_for_valid_credentials(api_client, user, password):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": password}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    me = api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_it_answers_wrong_credentials_with_401_invalid_credentials(api_client, user):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": "nope-nope-nope"}, format="json")
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    assert "access" not in response.json()


def test_it_treats_an_inactive_user_like_wrong_credentials(api_client, user, password):
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": password}, format="json")
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_it_rejects_unknown_fields_by_name(api_client, user, password):
    response = api_client.post(
        TOKEN_URL, {"username": user.username, "password": password, "otp": "123"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "unknown_field"
    assert body["fields"] == {"otp": ["Unknown field."]}


def test_it_lists_missing_fields(api_client):
    response = api_client.post(TOKEN_URL, {}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"username", "password"}


def test_it_rejects_wrong_types(api_client):
    response = api_client.post(TOKEN_URL, {"username": ["a"], "password": {"x": 1}}, format="json")
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert set(response.json()["error"]["fields"]) == {"username", "password"}


def test_it_rejects_malformed_json(api_client):
    response = api_client.generic("POST", TOKEN_URL, '{"username": "a",', content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "malformed_json"


def test_it_rejects_a_json_body_that_is_not_an_object(api_client):
    response = api_client.generic("POST", TOKEN_URL, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "validation_error"


def test_it_rejects_form_encoded_bodies(api_client, user, password):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": password})
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


@override_settings(LOGIN_RATE_LIMIT="3/m")
def test_it_locks_out_a_username_after_repeated_failures(api_client, user, password):
    for _ in range(3):
        bad = api_client.post(TOKEN_URL, {"username": user.username, "password": "wrong-wrong"}, format="json")
        assert error_code(bad) == "invalid_credentials"
    # Even the right password is refused while the lockout lasts.
    locked = api_client.post(TOKEN_URL, {"username": user.username, "password": password}, format="json")
    assert locked.status_code == 429
    assert error_code(locked) == "too_many_login_attempts"


def test_me_requires_authentication(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_refuses_an_expired_access_token(api_client, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert error_code(response) == "token_expired"


def test_me_refuses_a_tampered_access_token(api_client, user):
    token = str(AccessToken.for_user(user))
    response = api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token[:-4]}AAAA")
    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_me_refuses_a_refresh_token_used_as_access_token(api_client, user):
    response = api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user)}")
    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, user):
    old = str(RefreshToken.for_user(user))
    first = api_client.post(REFRESH_URL, {"refresh": old}, format="json")
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != old
    again = api_client.post(REFRESH_URL, {"refresh": old}, format="json")
    assert again.status_code == 401
    assert error_code(again) == "token_blacklisted"
    # The rotated token works once.
    rotated = api_client.post(REFRESH_URL, {"refresh": first.json()["refresh"]}, format="json")
    assert rotated.status_code == 200


def test_refresh_refuses_an_expired_refresh_token(api_client, user):
    token = RefreshToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = api_client.post(REFRESH_URL, {"refresh": str(token)}, format="json")
    assert response.status_code == 401
    assert error_code(response) == "token_expired"


def test_refresh_refuses_garbage(api_client):
    response = api_client.post(REFRESH_URL, {"refresh": "not-a-jwt"}, format="json")
    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_refresh_refuses_a_disabled_account(api_client, user):
    token = str(RefreshToken.for_user(user))
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api_client.post(REFRESH_URL, {"refresh": token}, format="json")
    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_logout_blacklists_the_refresh_token(auth_client, api_client, user):
    refresh = str(RefreshToken.for_user(user))
    response = auth_client.post(LOGOUT_URL, {"refresh": refresh}, format="json")
    assert response.status_code == 204
    after = api_client.post(REFRESH_URL, {"refresh": refresh}, format="json")
    assert after.status_code == 401
    assert error_code(after) == "token_blacklisted"


def test_logout_refuses_someone_elses_refresh_token(user):
    from tests.accounts.factories import UserFactory

    other = UserFactory()
    response = jwt_client(other).post(LOGOUT_URL, {"refresh": str(RefreshToken.for_user(user))}, format="json")
    assert response.status_code == 401
    assert error_code(response) == "token_invalid"


def test_reusing_a_rotated_refresh_token_revokes_its_whole_family(api_client, user, password):
    def login() -> str:
        response = api_client.post(TOKEN_URL, {"username": user.username, "password": password}, format="json")
        return response.json()["refresh"]

    first, other_session = login(), login()
    second = api_client.post(REFRESH_URL, {"refresh": first}, format="json").json()["refresh"]
    stolen_reuse = api_client.post(REFRESH_URL, {"refresh": first}, format="json")
    assert stolen_reuse.status_code == 401
    assert error_code(stolen_reuse) == "token_blacklisted"
    # The token that replaced it stops working too: whoever holds it may be the thief.
    replaced = api_client.post(REFRESH_URL, {"refresh": second}, format="json")
    assert replaced.status_code == 401
    assert error_code(replaced) == "token_blacklisted"
    # Another login (another device) is a family of its own and keeps working.
    assert api_client.post(REFRESH_URL, {"refresh": other_session}, format="json").status_code == 200


@pytest.mark.parametrize("path", [ME_URL, "/api/v1/funds/", "/api/v1/orders/", "/api/v1/positions/"])
def test_personal_api_responses_are_never_stored_by_caches(auth_client, user, path):
    from orders.services import account_open

    account_open(user=user)
    response = auth_client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
