"""Brute-force lockout: repeated failed logins lock the account for a period that doubles, up to a cap."""

from datetime import timedelta

import pytest
from django.test import override_settings

from accounts.models import LoginLockout
from core import clock, events

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
LOCKOUT = {"LOGIN_LOCKOUT_FAILURES": 3, "LOGIN_LOCKOUT_FIRST_SECONDS": 60, "LOGIN_LOCKOUT_MAX_SECONDS": 180}


@pytest.fixture
def moment(monkeypatch):
    """The platform clock, stopped; `moment.advance(seconds)` moves it."""
    start = clock.now()

    class Moment:
        at = start

        def advance(self, seconds: float) -> None:
            self.at += timedelta(seconds=seconds)

    current = Moment()
    monkeypatch.setattr(clock, "now", lambda: current.at)
    return current


@pytest.fixture
def announced():
    heard = []
    events.subscribe("security.", heard.append)
    yield heard
    events._handlers.remove(("security.", heard.append))


def login(api_client, username, password):
    return api_client.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def fail(api_client, user, times: int) -> list[int]:
    return [login(api_client, user.username, "wrong-password-1").status_code for _ in range(times)]


@override_settings(**LOCKOUT)
def test_the_third_failure_locks_the_account_even_for_the_right_password(api_client, user, password, moment):
    assert fail(api_client, user, 3) == [401, 401, 401]
    refused = login(api_client, user.username, password)
    assert refused.status_code == 429
    body = refused.json()["error"]
    assert body["code"] == "account_locked"
    assert "locked until" in body["message"] and "IST" in body["message"]
    assert 55 <= int(refused["Retry-After"]) <= 61
    moment.advance(61)
    assert login(api_client, user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_each_lock_in_a_row_lasts_twice_the_last_up_to_the_cap(api_client, user, password, moment):
    lengths = []
    for _ in range(4):
        fail(api_client, user, 3)
        row = LoginLockout.objects.get(username=user.username.lower())
        lengths.append((row.locked_until - moment.at).total_seconds())
        moment.advance(lengths[-1] + 1)
    assert lengths == [60, 120, 180, 180]
    assert login(api_client, user.username, password).status_code == 200  # a success starts again from 1 min
    fail(api_client, user, 3)
    assert (LoginLockout.objects.get(username=user.username.lower()).locked_until - moment.at).total_seconds() == 60


@override_settings(**LOCKOUT)
def test_a_success_clears_the_failures_so_far(api_client, user, password):
    fail(api_client, user, 2)
    assert login(api_client, user.username, password).status_code == 200
    assert fail(api_client, user, 2) == [401, 401]
    assert login(api_client, user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_a_lock_is_announced_as_a_security_event_and_logged(api_client, user, announced, caplog):
    with caplog.at_level("WARNING", logger="security"):
        fail(api_client, user, 3)
    [event] = announced
    assert event.name == "security.account_locked"
    assert event.account_id == user.id and event.username == user.username.lower() and event.lockouts == 1
    assert event.ip == "127.0.0.1"
    [line] = [r for r in caplog.records if r.name == "security"]
    assert "security.account_locked" in line.getMessage() and user.username.lower() in line.getMessage()


@override_settings(**LOCKOUT)
def test_an_unknown_username_is_locked_like_a_known_one(api_client, announced):
    statuses = [login(api_client, "nobody-here", "wrong-password-1").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert announced[0].account_id is None


@override_settings(**LOCKOUT)
def test_the_dashboard_login_is_locked_too_and_says_so(client, api_client, user, password):
    fail(api_client, user, 3)
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert b"locked until" in response.content


@override_settings(**LOCKOUT)
def test_an_admin_unlocks_an_account_from_the_admin(admin_client, api_client, user, password):
    fail(api_client, user, 3)
    lock = LoginLockout.objects.get(username=user.username.lower())
    response = admin_client.post(
        "/admin/accounts/loginlockout/", {"action": "unlock", "_selected_action": [lock.pk]}, follow=True
    )
    assert b"Unlocked 1 account" in response.content
    assert login(api_client, user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_an_admin_unlocks_a_user_from_the_users_list(admin_client, api_client, user, password):
    fail(api_client, user, 3)
    admin_client.post("/admin/accounts/user/", {"action": "unlock_logins", "_selected_action": [user.pk]})
    assert login(api_client, user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_the_admin_login_counts_towards_the_same_lock(client, api_client, user, password):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for _ in range(3):
        client.post("/admin/login/", {"username": user.username, "password": "wrong-password-1"})
    response = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": password})
    assert response.status_code == 200 and b"locked until" in response.content  # the form again, not the admin
    assert login(api_client, user.username, password).json()["error"]["code"] == "account_locked"
