"""Security events: what is recorded (time, user, address, browser, request id), who sees it, append-only."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import SecurityEvent, TradingAccount
from accounts.services import api_key_create, api_key_revoke
from accounts.services.security import security_chain_verify, security_event_record
from brokers.events import BrokerConnected
from core import events
from monitoring.tracing import set_request_id
from orders.events import AccountModeSwitched
from risk.events import KillSwitchActivated
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind
UA = "Mozilla/5.0 (test-browser)"


def kinds_of(user) -> list[str]:
    return list(SecurityEvent.objects.filter(user_id=user.pk).order_by("id").values_list("kind", flat=True))


def test_a_dashboard_login_records_time_address_browser_and_request_id(client, user, password):
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": password},
        HTTP_USER_AGENT=UA,
        HTTP_X_REQUEST_ID="req-login-1",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    event = SecurityEvent.objects.get(user_id=user.pk, kind=Kind.LOGIN_SUCCEEDED)
    assert (event.ip, event.user_agent, event.request_id, event.username) == (
        "203.0.113.9",
        UA,
        "req-login-1",
        user.username,
    )
    assert event.created_at.utcoffset().total_seconds() == 0


def test_a_failed_login_is_recorded_with_the_username_and_never_the_password(client, user):
    client.post(
        "/accounts/login/", {"username": user.username, "password": "wrong-password-77"}, REMOTE_ADDR="198.51.100.4"
    )
    client.post("/accounts/login/", {"username": "nobody-such", "password": "wrong-password-77"})
    failed = SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED).order_by("id")
    assert [(e.user_id, e.username) for e in failed] == [(user.pk, user.username), (None, "nobody-such")]
    assert failed[0].ip == "198.51.100.4"
    assert not SecurityEvent.objects.filter(detail__icontains="wrong-password").exists()
    assert all("wrong-password" not in str(e.detail) for e in failed)


def test_jwt_login_refresh_and_logout_are_recorded(user, password):
    client = APIClient()
    pair = client.post("/api/v1/auth/token/", {"username": user.username, "password": password}, format="json").json()
    pair = client.post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert client.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json").status_code == 204
    assert kinds_of(user) == [Kind.LOGIN_SUCCEEDED, Kind.TOKEN_REFRESHED, Kind.LOGOUT]


def test_dashboard_logout_and_password_change_are_recorded(client, user, password):
    client.force_login(user)
    new = "a-much-better-passphrase-42"
    form = {"old_password": password, "new_password1": new, "new_password2": new}
    assert client.post("/accounts/password/", form).status_code == 302
    client.post("/accounts/logout/")
    assert kinds_of(user)[-2:] == [Kind.PASSWORD_CHANGED, Kind.LOGOUT]


def test_creating_a_user_is_not_a_password_change(db):
    user = UserFactory()
    assert Kind.PASSWORD_CHANGED not in kinds_of(user)


def test_api_keys_created_revoked_and_used_from_a_new_address_are_recorded(user):
    key, raw_key = api_key_create(user=user, name="bot", scopes=["read"])
    client = APIClient(REMOTE_ADDR="203.0.113.20")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    for _ in range(3):  # the same address again is not new
        assert client.get("/api/v1/me/").status_code == 200
    other = APIClient(REMOTE_ADDR="203.0.113.21")
    other.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert other.get("/api/v1/me/").status_code == 200
    api_key_revoke(user=user, key_id=key.id)
    assert kinds_of(user) == [Kind.API_KEY_CREATED, Kind.API_KEY_NEW_IP, Kind.API_KEY_NEW_IP, Kind.API_KEY_REVOKED]
    new_ip = SecurityEvent.objects.filter(kind=Kind.API_KEY_NEW_IP).order_by("id")
    assert [e.detail["address"] for e in new_ip] == ["203.0.113.20", "203.0.113.21"]
    assert all(raw_key not in str(e.detail) for e in SecurityEvent.objects.all())


def test_domain_events_from_brokers_orders_and_risk_are_recorded_for_the_accounts_owner(user):
    account = TradingAccount.objects.create(user=user)
    set_request_id("req-domain-7")
    try:
        events.publish(BrokerConnected(account_id=account.id, broker="angelone", client_code="C1", status="connected"))
        events.publish(AccountModeSwitched(account_id=account.id, from_mode="paper", to_mode="live", broker="angelone"))
        events.publish(KillSwitchActivated(account_id=account.id, actor="user:x", square_off=False))
    finally:
        set_request_id(None)
    assert kinds_of(user) == [Kind.BROKER_CONNECTED, Kind.MODE_SWITCHED, Kind.KILL_SWITCH]
    switched = SecurityEvent.objects.get(kind=Kind.MODE_SWITCHED)
    assert switched.detail == {"account_id": account.id, "from_mode": "paper", "to_mode": "live", "broker": "angelone"}
    assert switched.request_id == "req-domain-7"


def test_an_account_locked_event_from_elsewhere_is_recorded_by_username(user):
    from datetime import UTC, datetime

    from accounts.events import AccountLocked

    locked = AccountLocked(
        user_id=None,  # found by the username alone
        username=user.username,
        locked_until=datetime(2030, 1, 1, tzinfo=UTC),
        lockouts=1,
        ip="203.0.113.9",
        addresses=5,
        reason="20 failed logins from 5 addresses",
    )
    events.publish(locked)
    assert kinds_of(user) == [Kind.ACCOUNT_LOCKED]


def test_admin_changes_are_recorded(client, user):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "email": "new@example.com",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    event = SecurityEvent.objects.get(kind=Kind.ADMIN_CHANGE)
    assert (event.user_id, event.detail["model"], event.detail["action"]) == (admin.pk, "user", "changed")


# --- Who sees what ----------------------------------------------------------------------------------


def test_the_api_lists_only_the_callers_own_events_newest_first(user):
    other = UserFactory()
    security_event_record(kind=Kind.LOGIN_SUCCEEDED, user=user)
    security_event_record(kind=Kind.LOGOUT, user=user)
    security_event_record(kind=Kind.LOGIN_SUCCEEDED, user=other)
    body = jwt_client(user).get("/api/v1/security-events/").json()
    assert body["count"] == 2
    assert [row["kind"] for row in body["results"]] == [Kind.LOGOUT, Kind.LOGIN_SUCCEEDED]
    assert set(body["results"][0]) == {"id", "created_at", "kind", "ip", "user_agent", "request_id", "detail"}


def test_the_api_needs_a_login():
    assert APIClient().get("/api/v1/security-events/").status_code == 401


def test_the_dashboard_page_shows_the_traders_own_events(client, user):
    other = UserFactory()
    security_event_record(kind=Kind.API_KEY_CREATED, user=user, detail={"name": "my-bot"})
    security_event_record(kind=Kind.API_KEY_CREATED, user=other, detail={"name": "their-bot"})
    client.force_login(user)
    page = client.get("/accounts/security/").content.decode()
    assert "my-bot" in page and "their-bot" not in page


def test_the_dashboard_page_reads_only_ascii_digits_as_a_page_number(client, user):
    for number in range(51):  # two pages of 50
        security_event_record(kind=Kind.API_KEY_CREATED, user=user, detail={"name": f"bot-{number}"})
    client.force_login(user)
    assert "bot-0" in client.get("/accounts/security/?page=2").content.decode()  # the oldest, on page 2
    page = client.get("/accounts/security/?page=२").content.decode()  # Devanagari two: not a page number
    assert "bot-50" in page and "bot-0" not in page  # the first page


def test_the_admin_is_read_only_and_exports_csv(client, user):
    security_event_record(kind=Kind.LOGIN_FAILED, username='=HYPERLINK("http://x")')
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    event = SecurityEvent.objects.get(kind=Kind.LOGIN_FAILED)
    assert client.get("/admin/accounts/securityevent/?kind=login.failed").status_code == 200
    assert client.get("/admin/accounts/securityevent/add/").status_code == 403
    assert client.post(f"/admin/accounts/securityevent/{event.pk}/delete/").status_code == 403
    response = client.post("/admin/accounts/securityevent/", {"action": "export_csv", "_selected_action": [event.pk]})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("id,created_at,kind,user_id,username")
    assert "login.failed" in lines[1]
    assert "'=HYPERLINK" in lines[1]  # a spreadsheet shows it as text instead of running it


# --- Append-only and the hash chain ----------------------------------------------------------------


def test_the_orm_refuses_to_change_or_remove_an_event(user):
    event = security_event_record(kind=Kind.LOGOUT, user=user)
    event.username = "someone-else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        SecurityEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(PermissionError):
        SecurityEvent.objects.filter(pk=event.pk).delete()
    assert SecurityEvent.objects.get(pk=event.pk).username == user.username


def test_each_event_chains_to_the_one_before(user):
    first = security_event_record(kind=Kind.LOGIN_SUCCEEDED, user=user)
    second = security_event_record(kind=Kind.LOGOUT, user=user)
    assert first.prev_hash == SecurityEvent.GENESIS
    assert second.prev_hash == first.hash
    walk = security_chain_verify()
    assert (walk.checked, walk.broken) == (2, None)


def test_verify_audit_passes_on_an_intact_log(user, capsys):
    for _ in range(3):
        security_event_record(kind=Kind.LOGIN_SUCCEEDED, user=user, detail={"via": "test"})
    call_command("verify_audit")
    assert "intact: 3 event(s)" in capsys.readouterr().out


def test_verify_audit_finds_a_row_changed_with_raw_sql(user):
    rows = [security_event_record(kind=Kind.LOGIN_FAILED, user=user) for _ in range(4)]
    table = SecurityEvent._meta.db_table
    with connection.cursor() as cursor:  # what someone with database access might do
        cursor.execute(f"UPDATE {table} SET ip = %s WHERE id = %s", ["192.0.2.66", rows[2].pk])
    with pytest.raises(CommandError, match=f"broken at event {rows[2].pk}: its content"):
        call_command("verify_audit")


def test_verify_audit_finds_a_row_removed_with_raw_sql(user):
    rows = [security_event_record(kind=Kind.LOGIN_FAILED, user=user) for _ in range(4)]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SecurityEvent._meta.db_table} WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match=f"broken at event {rows[2].pk}: its previous-hash"):
        call_command("verify_audit")


def test_verify_audit_exits_non_zero_when_broken(user):
    from accounts.management.commands.verify_audit import Command

    rows = [security_event_record(kind=Kind.LOGOUT, user=user) for _ in range(2)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SecurityEvent._meta.db_table} SET kind = 'login.succeeded' WHERE id = %s", [rows[0].pk]
        )
    with pytest.raises(SystemExit) as exited:  # what `python manage.py verify_audit` does
        Command().run_from_argv(["manage.py", "verify_audit"])
    assert exited.value.code == 1
