"""Broker credentials: encrypted at rest, rotated by command, write-only in the admin and the API, never logged."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from brokers.angelone.adapter import AngelOneBroker
from brokers.base import BrokerError
from brokers.models import BrokerAccount
from core.crypto import DecryptionFailed
from notifications.deliveries import webhook_secret_for
from notifications.models import NotificationPreference
from notifications.services import preferences_update
from tests.conftest import jwt_client

from .conftest import make_live_account
from .test_angelone_adapter import order

SECRETS = {"pin": "864209", "api_key": "key-Zq81-secret", "totp_secret": "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"}


def raw_columns(pk: int) -> dict:
    columns = ["api_key", "pin", "totp_secret", "jwt_token", "refresh_token", "feed_token"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM brokers_brokeraccount WHERE id = %s", [pk])
        return dict(zip(columns, cursor.fetchone(), strict=True))


def test_secrets_are_stored_encrypted_and_read_back_in_clear(db):
    account = make_live_account(**SECRETS)

    raw = raw_columns(account.pk)
    fresh = BrokerAccount.objects.get(pk=account.pk)

    for name, value in SECRETS.items():
        assert value not in raw[name]
        assert getattr(fresh, name) == value
    assert raw["jwt_token"] == ""  # not set stays empty


def test_str_and_repr_never_show_secrets(db):
    account = make_live_account(**SECRETS)

    for text in (str(account), repr(account)):
        assert "A123456" in text
        assert not any(secret in text for secret in SECRETS.values())


def test_rotation_re_encrypts_every_row_with_the_newest_key(db, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    account = make_live_account(**SECRETS)
    before = raw_columns(account.pk)
    _, webhook_secret = preferences_update(
        user=account.account.user, events=["fills"], channels=["webhook"], webhook_url="https://hooks.example.com/t"
    )
    stored = NotificationPreference.objects.get(user=account.account.user).webhook_secret
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"

    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FIELD_ENCRYPTION_KEY = new  # the old key is gone
    assert BrokerAccount.objects.get(pk=account.pk).pin == SECRETS["pin"]
    after = raw_columns(account.pk)
    assert all(after[name] != before[name] for name in SECRETS)
    assert Fernet(new.encode()).decrypt(after["pin"].encode()).decode() == SECRETS["pin"]
    # every encrypted value, not only the broker's: the notification webhook secret too
    assert NotificationPreference.objects.get(user=account.account.user).webhook_secret != stored
    assert webhook_secret_for(account.account.user_id) == webhook_secret


def test_rotation_without_the_old_key_changes_nothing(db, settings):
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    account = make_live_account(**SECRETS)
    before = raw_columns(account.pk)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_field_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert raw_columns(account.pk) == before
    with pytest.raises(DecryptionFailed):
        BrokerAccount.objects.get(pk=account.pk)


# --- Admin -------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(db, client):
    from accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "admin-pass-123456")
    client.force_login(admin)
    return client


def test_the_admin_masks_secrets_and_never_prefills_them(admin_client):
    account = make_live_account(**SECRETS)

    listing = admin_client.get(reverse("admin:brokers_brokeraccount_changelist")).content.decode()
    page = admin_client.get(reverse("admin:brokers_brokeraccount_change", args=[account.pk])).content.decode()

    assert "••••••••" in listing and "Stored (leave blank to keep it)." in page
    for secret in SECRETS.values():
        assert secret not in listing and secret not in page


def test_saving_in_the_admin_with_blank_secrets_keeps_them_and_a_new_pin_reconnects(admin_client):
    account = make_live_account(**SECRETS)
    BrokerAccount.objects.filter(pk=account.pk).update(status=BrokerAccount.Status.DISCONNECTED, status_message="x")
    url = reverse("admin:brokers_brokeraccount_change", args=[account.pk])
    form = {
        "account": account.account_id,
        "broker": "angelone",
        "client_code": "A123456",
        "static_ip": "203.0.113.7",
        "api_key": "",
        "pin": "",
        "totp_secret": "",
    }

    assert admin_client.post(url, form).status_code == 302
    kept = BrokerAccount.objects.get(pk=account.pk)
    assert (kept.pin, kept.api_key, kept.status) == (SECRETS["pin"], SECRETS["api_key"], "disconnected")

    assert admin_client.post(url, {**form, "pin": "135790"}).status_code == 302
    changed = BrokerAccount.objects.get(pk=account.pk)
    assert (changed.pin, changed.totp_secret, changed.status) == ("135790", SECRETS["totp_secret"], "new")


# --- API ---------------------------------------------------------------------------------------------


def test_the_api_takes_secrets_and_never_returns_them(db, fake):
    account = make_live_account(**SECRETS)
    client = jwt_client(account.account.user)

    got = client.get("/api/v1/broker-account/")
    saved = client.put("/api/v1/broker-account/", {"client_code": "A123456", "pin": "4321"}, format="json")

    assert got.status_code == saved.status_code == 200
    for response in (got, saved):
        assert not any(secret in response.content.decode() for secret in SECRETS.values())
        assert response.json()["has_pin"] is True
    assert BrokerAccount.objects.get(pk=account.pk).pin == "4321"
    assert BrokerAccount.objects.get(pk=account.pk).api_key == SECRETS["api_key"]


def test_the_api_refuses_unknown_fields_and_incomplete_credentials(db):
    from accounts.models import TradingAccount
    from tests.accounts.factories import UserFactory

    user = UserFactory()
    TradingAccount.objects.create(user=user)
    client = jwt_client(user)

    unknown = client.put("/api/v1/broker-account/", {"client_code": "A1", "password": "x"}, format="json")
    incomplete = client.put("/api/v1/broker-account/", {"client_code": "A1", "pin": "1"}, format="json")

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "unknown_field")
    assert (incomplete.status_code, incomplete.json()["error"]["code"]) == (422, "credentials_incomplete")
    assert client.get("/api/v1/broker-account/").json()["error"]["code"] == "broker_account_not_found"


def test_log_in_now_and_disconnect_through_the_api(live_account, fake):
    client = jwt_client(live_account.account.user)

    connected = client.post("/api/v1/broker-account/connect/").json()
    disconnected = client.post("/api/v1/broker-account/disconnect/").json()

    assert (connected["status"], connected["outgoing_ip"], connected["ip_matches"]) == ("connected", "127.0.0.1", False)
    assert "203.0.113.7" in connected["ip_message"]
    assert disconnected["status"] == "disconnected"
    with pytest.raises(BrokerError) as caught:
        AngelOneBroker(live_account.account).funds()
    assert caught.value.code == "broker_session_expired"


def test_a_wrong_pin_through_log_in_now_shows_the_brokers_message(db, fake):
    account = make_live_account(pin="0000")

    body = jwt_client(account.account.user).post("/api/v1/broker-account/connect/").json()

    assert body["status"] == "disconnected"
    assert body["status_message"] == "Invalid clientcode or password"


# --- Logs ---------------------------------------------------------------------------------------------


def test_no_secret_or_token_reaches_the_logs_during_logins_calls_and_failures(db, fake, caplog):
    fake.admin("POST", "accounts", {"client_code": "A123456", **SECRETS})
    account = make_live_account(**SECRETS)
    caplog.set_level(logging.DEBUG)
    broker = AngelOneBroker(account.account)
    broker.profile()
    broker.place_order(order(tag="T501"))
    fake.admin("POST", "expire-tokens")
    broker.funds()  # renewed with the refresh token
    fake.faults(error_rate=1.0)
    with pytest.raises(BrokerError):
        broker.place_order(order(tag="T502"))
    fake.faults(error_rate=0.0)
    with pytest.raises(BrokerError):  # a login that fails, and disconnects the account
        AngelOneBroker(make_live_account(client_code="Z999", **{**SECRETS, "pin": "975310"}).account).funds()
    tokens = set(fake.state.jwts) | set(fake.state.refresh_tokens) | set(fake.state.feed_tokens)
    assert len(tokens) >= 3

    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {logging.Formatter().formatException(r.exc_info) if r.exc_info else ''}"
        for r in caplog.records
    )
    assert caplog.records, "nothing was logged: the test would prove nothing"
    for secret in [*SECRETS.values(), "975310", *tokens]:
        assert secret not in logged


def test_the_first_save_through_the_api_stores_the_credentials(db):
    """Found by the schema fuzzer: a first save (a new row) answered 500."""
    from orders.services import account_open
    from tests.accounts.factories import UserFactory
    from tests.conftest import jwt_client

    user = UserFactory()
    account_open(user=user)
    body = {"client_code": "A123", "static_ip": "10.0.0.7", "api_key": "k-1", "pin": "1234", "totp_secret": "JBSWY3DP"}
    response = jwt_client(user).put("/api/v1/broker-account/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["has_pin"] is True and "pin" not in response.json()
