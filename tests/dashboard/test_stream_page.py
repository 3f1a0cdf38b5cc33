"""Where a page opens the live stream, what it resumes from, and the CSP that lets it (nothing else)."""

import pytest
from django.test import RequestFactory

from accounts.selectors import default_account_for
from dashboard.stream import stream_origin, stream_url
from notifications.models import StreamEvent
from notifications.stream_log import stream_publish
from risk.models import TradingState
from risk.profiles import risk_profile_for, trading_state_set


@pytest.mark.parametrize(
    ("stream_url_setting", "stream_port", "host", "secure", "expected"),
    [
        (
            "wss://trading.example.com/ws/v1/stream/",
            8001,
            "trading.example.com",
            True,
            "wss://trading.example.com/ws/v1/stream/",
        ),
        ("", 8001, "127.0.0.1:8000", False, "ws://127.0.0.1:8001/ws/v1/stream/"),
        ("", 8001, "[::1]:8000", False, "ws://[::1]:8001/ws/v1/stream/"),
        ("", 8001, "localhost", False, "ws://localhost:8001/ws/v1/stream/"),
        ("", 0, "trading.example.com", True, "wss://trading.example.com/ws/v1/stream/"),
        ("", 0, "trading.example.com:8443", True, "wss://trading.example.com:8443/ws/v1/stream/"),
    ],
)
def test_the_page_opens_the_stream_where_the_settings_say(
    settings, stream_url_setting, stream_port, host, secure, expected
):
    settings.STREAM_URL, settings.STREAM_PORT = stream_url_setting, stream_port
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().get("/", HTTP_HOST=host, secure=secure)
    assert stream_url(request) == expected
    assert expected.startswith(stream_origin(request)) and stream_origin(request).count("/") == 2


def test_the_csp_lets_the_page_open_its_socket_and_nothing_else(client, trader, settings):
    settings.STREAM_URL, settings.STREAM_PORT = "", 8001
    policy = client.get("/").headers["Content-Security-Policy"]
    connect = next(part.split()[1:] for part in policy.split(";") if part.strip().startswith("connect-src"))
    assert connect == ["'self'", "ws://testserver:8001"]


def test_the_page_says_from_which_event_its_socket_resumes(client, trader, django_capture_on_commit_callbacks):
    account = default_account_for(trader)
    html = client.get("/").content.decode()
    assert 'data-stream-seq="0"' in html and f'data-stream-account="{account.id}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        stream_publish(user_id=trader.id, topic="notices", data={"n": 1})
        stream_publish(user_id=trader.id, topic="notices", data={"n": 2})
    html = client.get("/trading/orders/").content.decode()
    assert 'data-stream-seq="2"' in html  # what happened before this render is on the page already


def test_the_login_page_opens_no_stream(client):
    html = client.get("/accounts/login/").content.decode()
    assert "data-stream-url" not in html


def test_a_trading_state_change_reaches_the_owners_stream_as_a_notice(trader, django_capture_on_commit_callbacks):
    account = default_account_for(trader)
    profile = risk_profile_for(account.id)
    with django_capture_on_commit_callbacks(execute=True):
        trading_state_set(profile, state=TradingState.HALTED, code="risk_kill_switch", reason="Kill switch", actor="t")
    event = StreamEvent.objects.get(user=trader, topic="notices")
    assert event.data["trading_state"] == "HALTED" and event.data["account"] == account.id
    assert event.data["code"] == "trading_state" and event.data["level"] == "warning"
    assert event.data["message"] == "Kill switch"
