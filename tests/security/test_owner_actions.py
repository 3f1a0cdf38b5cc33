"""Owner actions: broker credentials, paper/live, API keys, notification targets and the password are changed
by the account's owner (a login), never by an API key unless a scope says so, and no key switches to live.

The operations come from the OpenAPI schema, so a new endpoint is covered without anyone remembering it:
each one that changes something is either declared an owner action on its view (`owner_action`) or listed
below as something a `trade` key may do; a new one fails the walk until someone decides which it is.
"""

import re

import pytest
from django.urls import resolve
from drf_spectacular.settings import spectacular_settings
from rest_framework.test import APIClient

from accounts.models import ApiKey, TradingAccount
from accounts.services import api_key_create
from brokers.models import BrokerAccount
from notifications.models import NotificationPreference
from tests.conftest import jwt_client

pytestmark = pytest.mark.django_db

CREDENTIALS = {"client_code": "A123456", "api_key": "smart-api-key", "pin": "4321", "totp_secret": "JBSWY3DPEHPK3PXP"}
NOTIFY = {"events": ["fills"], "channels": ["email"], "email": "bot@example.com"}
OWNER_CODES = {"api_key_not_allowed", "api_key_scope"}
# What a key with the `trade` scope may do (everything else that changes something is an owner action).
KEY_OPERATIONS = {
    "auth_logout",
    "auth_token_obtain",
    "auth_token_refresh",
    "orders_create",
    "orders_modify",
    "orders_cancel",
    "orders_cancel_all",
    "positions_close",
    "broker_account_connect",
    "broker_account_disconnect",
    "risk_kill_switch",
    "notifications_read",
    "watchlist_add",
    "watchlist_remove",
    "strategy_runs_create",
    "strategy_runs_stop",
    "backtests_create",
    "backtests_update",
    "sweeps_create",
    "sweeps_update",
}
SAFE = {"GET", "HEAD", "OPTIONS"}


def key_client(user, *, scopes, live_allowed=False) -> APIClient:
    _, raw_key = api_key_create(user=user, name="-".join(scopes), scopes=scopes, live_allowed=live_allowed)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def code(response) -> str:
    return response.json()["error"]["code"]


def test_a_paper_only_trade_key_can_neither_store_broker_credentials_nor_switch_to_live(trader):
    client = key_client(trader, scopes=["read", "trade"])
    saved = client.put("/api/v1/broker-account/", CREDENTIALS, format="json")
    assert (saved.status_code, code(saved)) == (403, "api_key_scope")
    switched = client.post("/api/v1/account/mode/", {"mode": "live"}, format="json")
    assert (switched.status_code, code(switched)) == (403, "api_key_not_allowed")
    assert not BrokerAccount.objects.filter(account__user=trader).exists()
    assert TradingAccount.objects.get(user=trader).mode == "paper"


def test_no_key_switches_the_account_between_paper_and_live_whatever_its_scopes(trader):
    client = key_client(trader, scopes=["read", "trade", "account"], live_allowed=True)
    assert client.put("/api/v1/broker-account/", CREDENTIALS, format="json").status_code == 200  # its scope allows
    for mode in ("live", "paper"):
        response = client.post("/api/v1/account/mode/", {"mode": mode}, format="json")
        assert (response.status_code, code(response)) == (403, "api_key_not_allowed")
    assert TradingAccount.objects.get(user=trader).mode == "paper"
    assert jwt_client(trader).post("/api/v1/account/mode/", {"mode": "live"}, format="json").status_code == 200


def test_the_account_scope_lets_a_key_set_broker_credentials_and_notification_targets(trader):
    account_key = key_client(trader, scopes=["account"])
    assert account_key.put("/api/v1/broker-account/", CREDENTIALS, format="json").status_code == 200
    assert account_key.put("/api/v1/notifications/preferences/", NOTIFY, format="json").status_code == 200
    assert NotificationPreference.objects.get(user=trader).email == "bot@example.com"
    refused = account_key.post("/api/v1/orders/cancel-all/", {}, format="json")  # it does not trade
    assert (refused.status_code, code(refused)) == (403, "api_key_scope")
    trade_key = key_client(trader, scopes=["read", "trade"])
    refused = trade_key.put(
        "/api/v1/notifications/preferences/", {**NOTIFY, "email": "thief@example.com"}, format="json"
    )
    assert (refused.status_code, code(refused)) == (403, "api_key_scope")
    assert NotificationPreference.objects.get(user=trader).email == "bot@example.com"


def test_a_paper_only_account_key_changes_no_credentials_while_the_account_is_live(trader):
    client = key_client(trader, scopes=["account"])
    TradingAccount.objects.filter(user=trader).update(mode=TradingAccount.Mode.LIVE)
    response = client.put("/api/v1/broker-account/", CREDENTIALS, format="json")
    assert (response.status_code, code(response)) == (403, "api_key_live_not_allowed")


def test_a_key_may_pull_the_kill_switch_but_only_the_trader_lifts_it(trader):
    client = key_client(trader, scopes=["read", "trade", "account"], live_allowed=True)
    assert client.post("/api/v1/risk/kill-switch/", {}, format="json").status_code == 202
    refused = client.post("/api/v1/risk/reactivate/", {}, format="json")
    assert (refused.status_code, code(refused)) == (403, "api_key_not_allowed")
    assert client.get("/api/v1/risk/").json()["profile"]["state"] == "HALTED"
    lifted = jwt_client(trader).post("/api/v1/risk/reactivate/", {}, format="json")  # paper: the same day
    assert (lifted.status_code, lifted.json()["state"]) == (200, "ACTIVE")


# --- The walk over every operation --------------------------------------------------------------


def operations() -> list[tuple[str, str, str, type]]:
    """(method, path, operation id, view class) of every operation in the OpenAPI schema."""
    schema = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    found = []
    for path, ops in schema["paths"].items():
        url = re.sub(r"{\w+}", "1", path)
        callback = resolve(url).func
        for method, op in ops.items():
            view = callback.operations[method.upper()] if hasattr(callback, "operations") else callback
            found.append((method.upper(), url, op["operationId"], view.cls))
    return found


def owner_operations() -> list[tuple[str, str, str, object]]:
    found = []
    for method, url, operation_id, view in operations():
        action = getattr(view, "owner_action", None)
        if action is not None and (method not in SAFE or action.reads):
            found.append((method, url, operation_id, action))
    return found


def test_every_change_is_either_an_owner_action_or_one_a_trade_key_may_make():
    owner = {operation_id for *_, operation_id, _ in owner_operations()}
    changes = {operation_id for method, _, operation_id, _ in operations() if method not in SAFE}
    unclassified = changes - owner - KEY_OPERATIONS
    assert not unclassified, f"declare `owner_action` on these views, or add them to KEY_OPERATIONS: {unclassified}"
    assert {"account_mode_switch", "broker_account_save", "notification_preferences_update"} <= owner
    assert {"api_keys_list", "api_keys_create", "api_keys_revoke"} <= owner


def test_every_owner_action_refuses_a_key_without_the_scope_it_names(trader):
    every_scope = list(ApiKey.Scope.values)
    trade_key = key_client(trader, scopes=["read", "trade"], live_allowed=True)
    strongest_key = key_client(trader, scopes=every_scope, live_allowed=True)
    checked = 0
    for method, url, operation_id, action in owner_operations():
        response = trade_key.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 403 and code(response) in OWNER_CODES, (operation_id, response.content)
        response = strongest_key.generic(method, url, "{}", content_type="application/json")
        if action.key_scope is None:
            assert (response.status_code, code(response)) == (403, "api_key_not_allowed"), operation_id
        else:
            assert response.status_code >= 300 and code(response) not in OWNER_CODES, operation_id  # bad input
        checked += 1
    assert checked >= 6


def test_the_schema_keeps_api_keys_off_the_owner_actions_no_scope_allows(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, method in (("/api/v1/account/mode/", "post"), ("/api/v1/api-keys/", "get")):
        assert {"apiKeyAuth": []} not in schema["paths"][path][method]["security"], (path, method)
    assert {"apiKeyAuth": []} in schema["paths"]["/api/v1/account/mode/"]["get"]["security"]
    saving = schema["paths"]["/api/v1/broker-account/"]["put"]
    assert {"apiKeyAuth": []} in saving["security"] and "`account` scope" in saving["description"]
