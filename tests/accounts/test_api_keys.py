"""API keys: made once, stored as a digest, checked on every request (scopes, paper/live, expiry, addresses)."""

import hashlib
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey, TradingAccount
from accounts.services import api_key_create
from core import clock
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db

KEYS_URL = "/api/v1/api-keys/"
ORDERS_URL = "/api/v1/orders/"
ME_URL = "/api/v1/me/"
ORDER = {"exchange": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "quantity": 1, "order_type": "MARKET", "product": "CNC"}


def error_code(response) -> str:
    return response.json()["error"]["code"]


def key_client(raw_key: str, **extra) -> APIClient:
    client = APIClient(**extra)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def make_key(user, *, scopes=("read", "trade"), **kwargs) -> tuple[ApiKey, str]:
    return api_key_create(user=user, name=kwargs.pop("name", "bot"), scopes=scopes, **kwargs)


def test_creating_a_key_answers_it_once_and_stores_only_its_digest(user, auth_client):
    response = auth_client.post(KEYS_URL, {"name": "my-bot", "scopes": ["read"]}, format="json")
    assert response.status_code == 201
    body = response.json()
    raw_key = body["key"]
    assert raw_key.startswith(body["prefix"] + ".") and len(raw_key) > 50
    assert body["scopes"] == ["read"] and body["live_allowed"] is False and body["status"] == "active"
    row = ApiKey.objects.get(pk=body["id"])
    assert row.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in str(ApiKey.objects.filter(pk=row.pk).values().first())  # no column holds the key
    listed = auth_client.get(KEYS_URL).json()["results"]
    assert [k["name"] for k in listed] == ["my-bot"]
    assert "key" not in listed[0] and "key_hash" not in listed[0]
    assert raw_key not in auth_client.get(KEYS_URL).content.decode()


def test_a_key_authenticates_reads_as_its_owner(user):
    _, raw_key = make_key(user, scopes=["read"])
    response = key_client(raw_key).get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_a_read_key_cannot_place_an_order(user):
    _, raw_key = make_key(user, scopes=["read"])
    response = key_client(raw_key).post(ORDERS_URL, ORDER, format="json")
    assert response.status_code == 403
    assert error_code(response) == "api_key_scope"
    for method in ("patch", "delete"):
        response = getattr(key_client(raw_key), method)(f"{ORDERS_URL}1/", {"quantity": 2}, format="json")
        assert (response.status_code, error_code(response)) == (403, "api_key_scope")


@pytest.fixture
def trading_user(db):
    from decimal import Decimal

    from marketdata.demo import demo_instruments_import
    from orders.services import account_open
    from tests.orders.conftest import set_quote

    demo_instruments_import()
    set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")
    user = UserFactory()
    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    return user


def test_a_trade_key_places_orders_on_the_paper_account(trading_user):
    _, raw_key = make_key(trading_user)
    response = key_client(raw_key).post(ORDERS_URL, ORDER, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["quantity"] == 1


def test_a_paper_only_key_changes_nothing_while_the_account_is_live(trading_user):
    _, paper_key = make_key(trading_user, name="paper")
    _, live_key = make_key(trading_user, name="live", live_allowed=True)
    # The switch needs a connected broker; what is tested here is the key's rule, so the mode is set directly.
    TradingAccount.objects.filter(user=trading_user).update(mode=TradingAccount.Mode.LIVE)
    for method, url in (("post", ORDERS_URL), ("patch", f"{ORDERS_URL}1/"), ("delete", f"{ORDERS_URL}1/")):
        response = getattr(key_client(paper_key), method)(url, {"quantity": 2}, format="json")
        assert (response.status_code, error_code(response)) == (403, "api_key_live_not_allowed"), method
    response = key_client(paper_key).post("/api/v1/positions/close/", {}, format="json")
    assert (response.status_code, error_code(response)) == (403, "api_key_live_not_allowed")
    assert key_client(paper_key).get(ORDERS_URL).status_code == 200  # reading is still allowed
    # A live-allowed key gets past the key's rules (what the live broker then says is another matter).
    response = key_client(live_key).delete(f"{ORDERS_URL}999999/")
    assert response.status_code == 404


def test_a_revoked_key_is_refused_from_the_next_request(user, auth_client):
    key, raw_key = make_key(user)
    client = key_client(raw_key)
    assert client.get(ME_URL).status_code == 200
    assert auth_client.delete(f"{KEYS_URL}{key.id}/").status_code == 204
    response = client.get(ME_URL)  # the same request, replayed after the revocation
    assert response.status_code == 401
    assert error_code(response) == "api_key_revoked"
    assert auth_client.delete(f"{KEYS_URL}{key.id}/").status_code == 204  # revoking twice changes nothing
    assert auth_client.get(KEYS_URL).json()["results"][0]["status"] == "revoked"


def test_an_expired_key_is_refused(user, monkeypatch):
    _, raw_key = make_key(user, expires_in_days=30)
    assert key_client(raw_key).get(ME_URL).status_code == 200
    later = clock.now() + timedelta(days=30, seconds=1)
    monkeypatch.setattr("core.clock.now", lambda: later)
    response = key_client(raw_key).get(ME_URL)
    assert (response.status_code, error_code(response)) == (401, "api_key_expired")


@pytest.mark.parametrize(
    "raw_key",
    ["tpk_000000000000.nope", "nonsense", "tpk_000000000000", "", "tpk_zz.x"],
)
def test_an_unknown_or_malformed_key_is_refused(user, raw_key):
    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert (response.status_code, error_code(response)) == (401, "api_key_invalid")


def test_a_known_prefix_with_the_wrong_secret_is_refused(user):
    key, raw_key = make_key(user)
    response = key_client(f"{key.prefix}.{'x' * 43}").get(ME_URL)
    assert (response.status_code, error_code(response)) == (401, "api_key_invalid")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = key_client(raw_key).get(ME_URL)  # a disabled user's keys stop working too
    assert (response.status_code, error_code(response)) == (401, "api_key_invalid")


def test_a_key_is_refused_outside_its_allowed_addresses(user):
    _, raw_key = make_key(user, allowed_ips=["203.0.113.0/24", "2001:db8::1"])
    assert key_client(raw_key, REMOTE_ADDR="203.0.113.77").get(ME_URL).status_code == 200
    assert key_client(raw_key, REMOTE_ADDR="2001:db8::1").get(ME_URL).status_code == 200
    response = key_client(raw_key, REMOTE_ADDR="198.51.100.1").get(ME_URL)
    assert (response.status_code, error_code(response)) == (403, "api_key_ip_not_allowed")


def test_someone_elses_key_cannot_be_revoked(user, auth_client):
    other_key, other_raw = make_key(UserFactory())
    response = auth_client.delete(f"{KEYS_URL}{other_key.id}/")
    assert (response.status_code, error_code(response)) == (404, "not_found")
    assert auth_client.delete(f"{KEYS_URL}999999/").status_code == 404
    other_key.refresh_from_db()
    assert other_key.revoked_at is None
    assert key_client(other_raw).get(ME_URL).status_code == 200
    assert auth_client.get(KEYS_URL).json()["count"] == 0  # nor listed


def test_last_use_is_recorded_at_most_once_a_minute_and_at_once_from_a_new_address(user, monkeypatch):
    key, raw_key = make_key(user)
    start = clock.now()
    monkeypatch.setattr("core.clock.now", lambda: start)
    key_client(raw_key, REMOTE_ADDR="192.0.2.1").get(ME_URL)
    key.refresh_from_db()
    assert (key.last_used_at, key.last_used_ip) == (start, "192.0.2.1")
    monkeypatch.setattr("core.clock.now", lambda: start + timedelta(seconds=30))
    key_client(raw_key, REMOTE_ADDR="192.0.2.1").get(ME_URL)
    key.refresh_from_db()
    assert (key.last_used_at, key.last_used_ip) == (start, "192.0.2.1")  # within the minute: not written
    key_client(raw_key, REMOTE_ADDR="192.0.2.2").get(ME_URL)
    key.refresh_from_db()  # another address: written at once (and a security event says so)
    assert (key.last_used_at, key.last_used_ip) == (start + timedelta(seconds=30), "192.0.2.2")
    monkeypatch.setattr("core.clock.now", lambda: start + timedelta(seconds=91))
    key_client(raw_key, REMOTE_ADDR="192.0.2.2").get(ME_URL)
    key.refresh_from_db()
    assert (key.last_used_at, key.last_used_ip) == (start + timedelta(seconds=91), "192.0.2.2")


def test_keys_cannot_manage_keys(user):
    key, raw_key = make_key(user)
    client = key_client(raw_key)
    for response in (
        client.get(KEYS_URL),
        client.post(KEYS_URL, {"name": "child", "scopes": ["read"]}, format="json"),
        client.delete(f"{KEYS_URL}{key.id}/"),
    ):
        assert (response.status_code, error_code(response)) == (403, "api_key_not_allowed")
    assert ApiKey.objects.filter(user=user).count() == 1
    _, read_key = make_key(user, name="reader", scopes=["read", "account"])  # whatever its scopes
    response = key_client(read_key).post(KEYS_URL, {"name": "child", "scopes": ["read"]}, format="json")
    assert (response.status_code, error_code(response)) == (403, "api_key_not_allowed")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "", "scopes": ["read"]}, 400, "invalid_name"),
        ({"name": "   ", "scopes": ["read"]}, 400, "invalid_name"),
        ({"scopes": ["read"]}, 400, "invalid_name"),
        ({"name": "x", "scopes": ["admin"]}, 400, "invalid_scope"),
        ({"name": "x", "scopes": []}, 400, "invalid_scope"),
        ({"name": "x", "scopes": ["read"], "allowed_ips": ["10.0.0.300"]}, 422, "invalid_ip"),
        ({"name": "x", "scopes": ["read"], "allowed_ips": ["not an ip"]}, 400, "validation_error"),
        ({"name": "x", "scopes": ["read"], "expires_in_days": 0}, 400, "validation_error"),
        ({"name": "x", "scopes": ["read"], "secret": "mine"}, 400, "unknown_field"),
        ({"name": "taken", "scopes": ["read"]}, 422, "api_key_name_taken"),
    ],
)
def test_bad_input_is_refused_with_a_code(user, auth_client, body, status, code):
    make_key(user, name="taken")
    response = auth_client.post(KEYS_URL, body, format="json")
    assert (response.status_code, error_code(response)) == (status, code), response.json()
    assert ApiKey.objects.filter(user=user).count() == 1


def test_a_revoked_keys_name_can_be_used_again_and_the_number_of_keys_is_limited(user, auth_client, settings):
    key, _ = make_key(user, name="bot")
    auth_client.delete(f"{KEYS_URL}{key.id}/")
    assert auth_client.post(KEYS_URL, {"name": "bot", "scopes": ["read"]}, format="json").status_code == 201
    settings.API_KEYS_PER_USER = 2
    assert auth_client.post(KEYS_URL, {"name": "second", "scopes": ["read"]}, format="json").status_code == 201
    response = auth_client.post(KEYS_URL, {"name": "third", "scopes": ["read"]}, format="json")
    assert (response.status_code, error_code(response)) == (422, "api_key_limit")


def test_jwt_and_session_logins_are_not_limited_by_key_rules(user, password):
    assert jwt_client(user).post(KEYS_URL, {"name": "by-jwt", "scopes": ["read"]}, format="json").status_code == 201
    session = APIClient(enforce_csrf_checks=False)
    session.login(username=user.username, password=password)
    assert session.post(KEYS_URL, {"name": "by-session", "scopes": ["read"]}, format="json").status_code == 201


def test_the_schema_documents_the_api_key_scheme_and_that_keys_cannot_manage_keys(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["apiKeyAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert {"apiKeyAuth": []} in schema["paths"]["/api/v1/orders/"]["post"]["security"]
    for method, operation in schema["paths"]["/api/v1/api-keys/"].items():
        assert {"apiKeyAuth": []} not in operation["security"], method
