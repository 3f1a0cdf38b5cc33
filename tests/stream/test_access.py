"""Who hears what: an API key of one account, the dashboard's session from its own site only, a logout."""

import pytest
from django.conf import settings
from django.test import Client as DjangoClient

from accounts.services import api_key_create, trading_account_create
from notifications.services import notification_create
from orders.services import account_open
from tests.accounts.factories import UserFactory

from .conftest import Client, access_token
from .test_protocol import closed_with

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_key_for_one_account_hears_that_account_only(stream_server, ws_client):
    user = UserFactory()
    main = account_open(user=user)
    other = trading_account_create(user=user, name="Family")
    _, raw_key = api_key_create(user=user, name="bot", scopes=["read"], account=main)
    server = stream_server()
    client = ws_client(server)
    assert client.auth(raw_key)["op"] == "authenticated"
    refused = client.subscribe(f"orders:{other.pk}")
    assert (refused["code"], refused["topic"]) == ("topic_not_allowed", f"orders:{other.pk}")
    client.subscribe("notices")

    notification_create(user_id=user.pk, account_id=other.pk, code="test_notice", message="for the other account")
    notification_create(user_id=user.pk, account_id=main.pk, code="test_notice", message="for the key's account")

    heard = client.until(lambda m: m.get("topic") == "notices", what="the notice of the key's account")
    assert heard["data"]["message"] == "for the key's account"
    assert [m for m in client.gather(0.5) if m.get("topic")] == []


def logged_in_session(user) -> str:
    browser = DjangoClient()
    browser.force_login(user)
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_dashboards_session_signs_in_a_socket_from_the_sites_own_page(stream_server):
    user = UserFactory()
    server = stream_server()
    cookie = f"{settings.SESSION_COOKIE_NAME}={logged_in_session(user)}"

    own_page = Client(server.url, additional_headers={"Cookie": cookie}, origin="http://127.0.0.1:8000")
    try:
        assert own_page.recv()["op"] == "authenticated"
    finally:
        own_page.close()


def test_a_page_elsewhere_cannot_borrow_the_session(stream_server):
    user = UserFactory()
    server = stream_server()
    cookie = f"{settings.SESSION_COOKIE_NAME}={logged_in_session(user)}"

    elsewhere = Client(server.url, additional_headers={"Cookie": cookie}, origin="https://evil.example")
    try:
        assert elsewhere.subscribe("orders")["code"] == "auth_required"
    finally:
        elsewhere.close()


def test_logging_out_closes_the_socket_its_token_opened(stream_server, ws_client, api_client):
    user = UserFactory(password="correct-horse-battery-9")
    login = api_client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "correct-horse-battery-9"}, format="json"
    )
    tokens = login.json()
    server = stream_server()
    client = ws_client(server)
    assert client.auth(tokens["access"])["op"] == "authenticated"

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code < 300

    assert closed_with(client) == (4401, "credential_revoked")


def test_unsubscribing_stops_the_topic(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(user))
    client.subscribe("notices")
    client.send({"op": "unsubscribe", "topics": ["notices"]})
    assert client.until(lambda m: m.get("op") == "unsubscribed") == {"op": "unsubscribed", "topics": ["notices"]}

    notification_create(user_id=user.pk, code="test_notice", message="unheard")

    assert [m for m in client.gather(1.0) if m.get("topic")] == []
