"""Revoking API tokens: a password change ends every token and session of the user, logout ends the
access tokens of its login, and a login's refresh tokens have an absolute lifetime that rotation keeps."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.utils import aware_utcnow

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"
NEW_PASSWORD = "a-much-better-passphrase-42"


def error_code(response) -> str:
    return response.json()["error"]["code"]


def login(user, password) -> dict:
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": password}, format="json")
    assert response.status_code == 200
    return response.json()


def me(access: str):
    return APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(raw: str):
    return APIClient().post(REFRESH_URL, {"refresh": raw}, format="json")


def assert_revoked(pair: dict) -> None:
    for response in (me(pair["access"]), refresh(pair["refresh"])):
        assert (response.status_code, error_code(response)) == (401, "token_blacklisted"), response.json()


def change_on_the_dashboard(user, password) -> None:
    client = Client()
    client.force_login(user)
    form = {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post("/accounts/password/", form).status_code == 302


def change_in_the_admin(user, password) -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(f"/admin/accounts/user/{user.pk}/password/", form).status_code == 302


def change_with_create_trader(user, password) -> None:
    call_command("create_trader", user.username, "--password", NEW_PASSWORD)


def change_through_the_model(user, password) -> None:  # a reset from the shell, `manage.py changepassword`, ...
    user.set_password(NEW_PASSWORD)
    user.save()


@pytest.mark.parametrize(
    "change", [change_on_the_dashboard, change_in_the_admin, change_with_create_trader, change_through_the_model]
)
def test_a_password_change_revokes_every_access_and_refresh_token_of_the_user(user, password, change):
    phone, laptop = login(user, password), login(user, password)
    rotated = refresh(laptop["refresh"]).json()
    change(user, password)
    for pair in (phone, rotated):
        assert_revoked(pair)
    fresh = login(user, NEW_PASSWORD)  # the new password gives tokens that work
    assert me(fresh["access"]).status_code == 200
    assert refresh(fresh["refresh"]).status_code == 200


def test_create_trader_with_the_password_the_trader_already_has_ends_nothing(user, password):
    pair = login(user, password)
    call_command("create_trader", user.username, "--password", password)
    assert me(pair["access"]).status_code == 200
    assert refresh(pair["refresh"]).status_code == 200


def test_a_dashboard_password_change_ends_other_sessions_and_keeps_the_current_one(user, password):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert client.post("/accounts/login/", {"username": user.username, "password": password}).status_code == 302
    form = {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert here.post("/accounts/password/", form).status_code == 302
    assert here.get("/accounts/security/").status_code == 200
    assert elsewhere.get("/accounts/security/").status_code == 302  # to the login page
    assert elsewhere.get(ME_URL).status_code in (401, 403)  # nor does the session reach the API


def test_logout_revokes_the_access_token_it_was_called_with_and_the_rest_of_its_login(user, password):
    pair = login(user, password)
    rotated = refresh(pair["refresh"]).json()
    other_device = login(user, password)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    assert client.post(LOGOUT_URL, {"refresh": rotated["refresh"]}, format="json").status_code == 204
    for access in (rotated["access"], pair["access"]):  # the one it was called with, and the login's earlier one
        response = me(access)
        assert (response.status_code, error_code(response)) == (401, "token_blacklisted")
    assert me(other_device["access"]).status_code == 200  # another login is not logged out
    assert refresh(other_device["refresh"]).status_code == 200


def test_logout_with_only_the_refresh_token_revokes_the_access_tokens_of_its_login(user, password):
    pair = login(user, password)
    edits = LogEntry.objects.get_for_object(user).count()
    assert APIClient().post(LOGOUT_URL, {"refresh": pair["refresh"]}, format="json").status_code == 204
    assert (me(pair["access"]).status_code, error_code(me(pair["access"]))) == (401, "token_blacklisted")
    assert LogEntry.objects.get_for_object(user).count() == edits  # a logout is no edit of the user


def test_rotation_keeps_the_expiry_of_the_login_so_a_refresh_token_family_ends(user, password, monkeypatch):
    earlier = "rest_framework_simplejwt.tokens.aware_utcnow"
    monkeypatch.setattr(earlier, lambda: aware_utcnow() - timedelta(hours=23, minutes=57))
    pair = login(user, password)  # logged in almost a day ago
    end = token_backend.decode(pair["refresh"])["exp"]
    monkeypatch.undo()
    rotated = refresh(pair["refresh"])
    assert rotated.status_code == 200
    assert token_backend.decode(rotated.json()["refresh"])["exp"] == end  # not a day from this rotation
    assert token_backend.decode(rotated.json()["access"])["exp"] <= end  # its access token ends with the login too
