"""Failed logins: a stranger's failures slow down the stranger's address, never lock the owner out; the account
is locked only when failures come from many addresses, for a period that doubles, and the owner is told."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.models import LoginLockout
from core import clock, events
from notifications.models import Delivery

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
LOCKOUT = {
    "LOGIN_LOCKOUT_FAILURES": 6,
    "LOGIN_LOCKOUT_ADDRESSES": 3,
    "LOGIN_LOCKOUT_FIRST_SECONDS": 60,
    "LOGIN_LOCKOUT_MAX_SECONDS": 180,
}
STRANGERS = ["203.0.113.11", "203.0.113.12", "198.51.100.13"]
OWNER = "192.0.2.50"


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


def login(username, password, address=OWNER):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


def fail(username, times: int, addresses=STRANGERS) -> list[int]:
    """`times` wrong passwords, taking turns among `addresses`."""
    return [login(username, "wrong-password-1", addresses[i % len(addresses)]).status_code for i in range(times)]


def lock_of(user) -> LoginLockout:
    return LoginLockout.objects.get(username=user.username.lower())


@override_settings(**LOCKOUT, LOGIN_FAILURE_RATE_LIMIT="1000/h")
def test_failures_from_one_address_never_lock_the_account(user, password):
    assert fail(user.username, 20, addresses=["203.0.113.11"]) == [401] * 20
    assert login(user.username, password).status_code == 200  # the owner, elsewhere


@override_settings(**LOCKOUT, LOGIN_FAILURE_RATE_LIMIT="3/h")
def test_failures_from_one_address_slow_that_address_down_not_the_owner(user, password):
    assert fail(user.username, 3, addresses=["203.0.113.11"]) == [401, 401, 401]
    slowed = login(user.username, password, "203.0.113.11")  # even the right password, from there
    assert (slowed.status_code, slowed.json()["error"]["code"]) == (429, "too_many_login_attempts")
    assert 1 <= int(slowed["Retry-After"]) <= 3600
    assert login(user.username, password).status_code == 200


@override_settings(**LOCKOUT, LOGIN_FAILURE_RATE_LIMIT="3/h")
def test_the_addresses_of_one_ipv6_network_count_as_one(user, password):
    network = ["2001:db8:5:7::1", "2001:db8:5:7::2", "2001:db8:5:7:ffff::3"]
    assert fail(user.username, 3, addresses=network) == [401, 401, 401]
    assert login(user.username, password, "2001:db8:5:7::99").status_code == 429
    assert login(user.username, password, "2001:db8:5:8::1").status_code == 200


@override_settings(**LOCKOUT, LOGIN_FAILURE_RATE_LIMIT="1000/h")
def test_failures_from_one_ipv6_network_never_lock_the_account(user, password):
    network = ["2001:db8:9:1::1", "2001:db8:9:1::2", "2001:db8:9:1:abcd::3"]  # three addresses, one network
    assert fail(user.username, 9, addresses=network) == [401] * 9
    assert login(user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_many_failures_from_many_addresses_lock_the_account_even_for_the_right_password(user, password, moment):
    assert fail(user.username, 6) == [401] * 6
    refused = login(user.username, password)
    assert refused.status_code == 429
    body = refused.json()["error"]
    assert body["code"] == "account_locked"
    assert "locked until" in body["message"] and "IST" in body["message"]
    assert 55 <= int(refused["Retry-After"]) <= 61
    moment.advance(61)
    assert login(user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_each_lock_in_a_row_lasts_twice_the_last_up_to_the_cap(user, password, moment):
    lengths = []
    for _ in range(4):
        fail(user.username, 6)
        lengths.append((lock_of(user).locked_until - moment.at).total_seconds())
        moment.advance(lengths[-1] + 1)
    assert lengths == [60, 120, 180, 180]
    assert login(user.username, password).status_code == 200  # a success starts again from 1 min
    fail(user.username, 6)
    assert (lock_of(user).locked_until - moment.at).total_seconds() == 60


@override_settings(**LOCKOUT)
def test_a_success_clears_the_failures_so_far(user, password):
    fail(user.username, 5)
    assert login(user.username, password).status_code == 200
    assert fail(user.username, 5) == [401] * 5
    assert login(user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_a_lock_is_announced_logged_and_the_owner_is_told(user, announced, caplog):
    with caplog.at_level("WARNING", logger="security"):
        fail(user.username, 6)
    [event] = announced
    assert event.name == "security.account_locked"
    assert (event.user_id, event.account_id) == (user.id, None)
    assert (event.username, event.lockouts, event.addresses) == (user.username.lower(), 1, 3)
    assert event.ip == STRANGERS[-1]
    [line] = [r for r in caplog.records if r.name == "security"]
    assert "security.account_locked" in line.getMessage() and user.username.lower() in line.getMessage()
    # A security notice: sent although the owner chose no notifications, to the account's address.
    [notice] = Delivery.objects.filter(user=user, event="security.account_locked")
    assert (notice.channel, notice.target) == ("email", user.email)
    assert "3 addresses" in notice.subject


@override_settings(**LOCKOUT)
def test_an_unknown_username_is_locked_like_a_known_one(announced):
    assert fail("nobody-here", 7) == [401] * 6 + [429]
    assert announced[0].user_id is None
    assert not Delivery.objects.filter(event="security.account_locked").exists()


@override_settings(**LOCKOUT)
def test_the_dashboard_login_is_locked_too_and_says_so(user, password):
    fail(user.username, 6)
    response = Client(REMOTE_ADDR=OWNER).post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert b"locked until" in response.content


@override_settings(**LOCKOUT)
def test_the_admin_shows_why_an_account_was_locked_and_unlocks_it(admin_client, user, password):
    fail(user.username, 6)
    lock = lock_of(user)
    page = admin_client.get(f"/admin/accounts/loginlockout/{lock.pk}/change/").content.decode()
    assert "6 failed logins from 3 addresses" in page
    assert all(address in page for address in STRANGERS)
    response = admin_client.post(
        "/admin/accounts/loginlockout/", {"action": "unlock", "_selected_action": [lock.pk]}, follow=True
    )
    assert b"Unlocked 1 account" in response.content
    assert login(user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_an_admin_unlocks_a_user_from_the_users_list(admin_client, user, password):
    fail(user.username, 6)
    admin_client.post("/admin/accounts/user/", {"action": "unlock_logins", "_selected_action": [user.pk]})
    assert login(user.username, password).status_code == 200


@override_settings(**LOCKOUT)
def test_admin_logins_count_towards_the_same_lock(user, password):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for i in range(6):
        Client(REMOTE_ADDR=STRANGERS[i % 3]).post("/admin/login/", {"username": user.username, "password": "wrong-1"})
    response = Client(REMOTE_ADDR=OWNER).post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": password}
    )
    assert response.status_code == 200 and b"locked until" in response.content  # the form again, not the admin
    assert login(user.username, password).json()["error"]["code"] == "account_locked"


@override_settings(**LOCKOUT)
def test_an_admin_is_not_stopped_by_a_strangers_failures_from_one_address(user, password):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for _ in range(10):
        Client(REMOTE_ADDR="203.0.113.11").post("/admin/login/", {"username": user.username, "password": "wrong-1"})
    response = Client(REMOTE_ADDR=OWNER).post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": password}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
