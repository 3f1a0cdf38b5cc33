"""Hardening: secrets never reach the logs, the audit trail or the security log; CORS is closed by default;
passwords are hashed with Argon2; every dashboard answer carries the Content Security Policy."""

import logging

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.hashers import check_password, make_password
from rest_framework.test import APIClient

from accounts.models import SecurityEvent, TradingAccount
from tests.brokers.conftest import TEST_CLIENT
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db


def everything_logged(caplog) -> str:
    formatter = logging.Formatter()
    return "\n".join(
        f"{r.getMessage()} {r.args!r} {formatter.formatException(r.exc_info) if r.exc_info else ''}"
        for r in caplog.records
    )


def test_broker_credentials_keys_and_tokens_stay_out_of_logs_audit_and_security_log(user, password, fake, caplog):
    caplog.set_level(logging.DEBUG)
    TradingAccount.objects.create(user=user)
    login = APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": password}, format="json")
    tokens = login.json()
    client = jwt_client(user)
    credentials = {**TEST_CLIENT, "static_ip": "127.0.0.1"}
    assert client.put("/api/v1/broker-account/", credentials, format="json").status_code == 200
    assert client.post("/api/v1/broker-account/connect/").json()["status"] == "connected"
    assert client.post("/api/v1/broker-account/disconnect/").status_code == 200
    created = client.post("/api/v1/api-keys/", {"name": "bot", "scopes": ["read"]}, format="json").json()
    key_client = APIClient(REMOTE_ADDR="203.0.113.50")
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created['key']}")
    assert key_client.get("/api/v1/me/").status_code == 200
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created['key']}x")  # a wrong key is refused, and logged
    assert key_client.get("/api/v1/me/").status_code == 401
    APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "not-it-at-all"}, format="json")

    secrets = [TEST_CLIENT["pin"], TEST_CLIENT["totp_secret"], TEST_CLIENT["api_key"], created["key"], password]
    secrets += [tokens["access"], tokens["refresh"], "not-it-at-all"]
    secrets += list(fake.state.jwts) + list(fake.state.refresh_tokens) + list(fake.state.feed_tokens)
    logged = everything_logged(caplog)
    audit = "\n".join(str(entry.changes) for entry in LogEntry.objects.all())
    security = "\n".join(f"{e.username} {e.detail} {e.user_agent}" for e in SecurityEvent.objects.all())
    assert caplog.records and "brokeraccount" in str(LogEntry.objects.values_list("content_type__model", flat=True))
    assert {SecurityEvent.Kind.BROKER_CONNECTED, SecurityEvent.Kind.API_KEY_NEW_IP} <= set(
        SecurityEvent.objects.values_list("kind", flat=True)
    )
    for secret in secrets:
        assert secret not in logged
        assert secret not in audit
        assert secret not in security


def test_cors_is_closed_by_default(client):
    preflight = client.options(
        "/api/v1/me/", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_opens_only_to_configured_origins_and_only_for_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://tools.example"]
    allowed = client.options(
        "/api/v1/me/", HTTP_ORIGIN="https://tools.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    other = client.get("/api/v1/me/", HTTP_ORIGIN="https://evil.example")
    dashboard = client.get("/accounts/login/", HTTP_ORIGIN="https://tools.example")
    assert allowed.headers["access-control-allow-origin"] == "https://tools.example"
    assert "access-control-allow-credentials" not in allowed.headers
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in dashboard.headers


def test_passwords_are_hashed_with_argon2_and_older_hashes_are_upgraded_at_login(user, password, client):
    assert user.password.startswith("argon2$")
    user.password = make_password(password, hasher="pbkdf2_sha256")  # as stored before Argon2
    user.save(update_fields=["password"])
    assert client.login(username=user.username, password=password)
    user.refresh_from_db()
    assert user.password.startswith("argon2$") and check_password(password, user.password)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED).exists()  # an upgrade


def test_short_and_common_passwords_are_refused(client, user, password):
    client.force_login(user)
    for weak in ("short1", "password123"):
        response = client.post(
            "/accounts/password/", {"old_password": password, "new_password1": weak, "new_password2": weak}
        )
        assert response.status_code == 200  # the form again, with the reason
    user.refresh_from_db()
    assert user.check_password(password)


def test_every_page_carries_the_policy_and_the_hardening_headers(client, user):
    client.force_login(user)
    response = client.get("/accounts/security/")
    policy = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
