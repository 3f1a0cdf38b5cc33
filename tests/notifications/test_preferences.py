"""Choosing notifications: the API (GET/PUT /api/v1/notifications/preferences/) and the dashboard page."""

import pytest

from notifications.deliveries import webhook_secret_for
from notifications.models import Delivery, NotificationPreference

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/preferences/"


def test_preferences_start_empty_but_for_fill_notices_on_the_dashboard(auth_client):
    body = auth_client.get(URL).json()
    assert body == {
        "events": [],
        "channels": [],
        "email": "",
        "webhook_url": "",
        "telegram_chat_id": "",
        "has_webhook_secret": False,
        "in_app_fills": True,
    }
    off = auth_client.put(URL, {"events": [], "channels": [], "in_app_fills": False}, format="json").json()
    assert off["in_app_fills"] is False and auth_client.get(URL).json()["in_app_fills"] is False


def test_the_webhook_secret_is_shown_once_and_stored_encrypted(auth_client, user):
    put = {"events": ["fills"], "channels": ["webhook"], "webhook_url": "https://example.com/hook"}
    first = auth_client.put(URL, put, format="json").json()
    secret = first["webhook_secret"]
    assert len(secret) >= 40 and first["has_webhook_secret"]
    assert webhook_secret_for(user.id) == secret
    assert secret not in NotificationPreference.objects.get(user=user).webhook_secret  # ciphertext at rest
    again = auth_client.put(URL, put, format="json").json()
    assert "webhook_secret" not in again and "webhook_secret" not in auth_client.get(URL).json()
    rotated = auth_client.put(URL, {**put, "new_webhook_secret": True}, format="json").json()
    assert rotated["webhook_secret"] != secret and webhook_secret_for(user.id) == rotated["webhook_secret"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["fills"], "channels": ["webhook"]}, "webhook_url"),
        ({"events": ["fills"], "channels": ["telegram"]}, "telegram_chat_id"),
        ({"events": [], "channels": [], "webhook_url": "ftp://example.com/x"}, "webhook_url"),
        ({"events": [], "channels": [], "email": "not-an-address"}, "email"),
    ],
)
def test_a_channel_without_a_usable_address_is_a_422(auth_client, body, field):
    response = auth_client.put(URL, body, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_preferences"
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["everything"], "channels": []}, "events"),
        ({"events": [], "channels": ["pigeon"]}, "channels"),
        ({"events": [], "channels": [], "telegram_chat_id": "@me"}, "telegram_chat_id"),
        ({"events": [], "channels": [], "colour": "red"}, "colour"),
    ],
)
def test_bad_preferences_are_a_400_naming_the_field(auth_client, body, field):
    response = auth_client.put(URL, body, format="json")
    assert response.status_code == 400
    assert any(name.split(".")[0] == field for name in response.json()["error"]["fields"])


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/hook", "http://localhost/hook", "https://[::1]/hook", "http://10.0.0.7/x"]
)
def test_a_webhook_to_a_private_or_local_address_is_refused_when_saved(auth_client, user, settings, url):
    """Told at once, with the reason, rather than accepted and then failing six times in silence."""
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE = False
    response = auth_client.put(URL, {"events": ["fills"], "channels": ["webhook"], "webhook_url": url}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "webhook_url_refused"
    assert "private or local address" in response.json()["error"]["fields"]["webhook_url"][0]
    assert auth_client.get(URL).json()["webhook_url"] == ""  # nothing saved


def test_a_webhook_host_that_does_not_resolve_is_refused_when_saved(auth_client, settings, monkeypatch):
    import socket

    def nowhere(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", nowhere)  # no lookup leaves the machine
    body = {"events": ["fills"], "channels": ["webhook"], "webhook_url": "https://hooks.nowhere.test/x"}
    response = auth_client.put(URL, body, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "webhook_url_refused"
    assert "does not resolve" in response.json()["error"]["fields"]["webhook_url"][0]


def test_the_page_shows_why_a_private_webhook_is_refused(client, user, password, settings):
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE = False
    client.login(username=user.username, password=password)
    form = {"events": ["fills"], "channels": ["webhook"], "webhook_url": "http://192.168.1.20/hook"}
    response = client.post("/accounts/notifications/", form)
    assert response.status_code == 422 and b'data-testid="error-webhook_url"' in response.content
    assert b"private or local address" in response.content
    assert NotificationPreference.objects.get(user=user).webhook_url == ""


def test_email_needs_an_address(auth_client, user):
    user.email = ""
    user.save(update_fields=["email"])
    response = auth_client.put(URL, {"events": ["fills"], "channels": ["email"]}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_preferences"


def test_preferences_need_a_login(api_client):
    assert api_client.get(URL).status_code == 401


def test_the_page_saves_choices_and_shows_the_secret_once(client, user, password):
    client.login(username=user.username, password=password)
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200 and b'data-testid="notifications-form"' in page.content
    form = {"events": ["fills", "kill_switch"], "channels": ["webhook"], "webhook_url": "https://example.com/h"}
    saved = client.post("/accounts/notifications/", form)
    assert saved.status_code == 200 and b'data-testid="webhook-secret-value"' in saved.content
    pref = NotificationPreference.objects.get(user=user)
    assert (pref.events, pref.channels) == (["fills", "kill_switch"], ["webhook"])
    assert b"webhook-secret-value" not in client.get("/accounts/notifications/").content


def test_the_page_refuses_a_channel_without_its_address(client, user, password):
    client.login(username=user.username, password=password)
    response = client.post("/accounts/notifications/", {"events": ["fills"], "channels": ["telegram"]})
    assert response.status_code == 422 and b'data-testid="error-telegram_chat_id"' in response.content


def test_the_test_button_queues_one_message_per_channel(client, user, password):
    client.login(username=user.username, password=password)
    client.post("/accounts/notifications/", {"channels": ["email"], "email": "me@example.com"})
    response = client.post("/accounts/notifications/test/")
    assert response.status_code == 302
    (delivery,) = Delivery.objects.all()
    assert (delivery.event, delivery.target, delivery.channel) == ("test", "me@example.com", "email")


def test_the_page_has_fill_notices_on_the_dashboard_checked_until_unticked(client, user, password):
    client.login(username=user.username, password=password)
    page = client.get("/accounts/notifications/").content.decode()
    assert 'name="in_app_fills" id="id_in_app_fills" checked' in page
    client.post("/accounts/notifications/", {"events": [], "channels": []})  # the box unticked
    assert NotificationPreference.objects.get(user=user).in_app_fills is False
    page = client.get("/accounts/notifications/").content.decode()
    assert 'name="in_app_fills" id="id_in_app_fills" checked' not in page
