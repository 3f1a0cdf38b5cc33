"""The stream's protocol against a real server: authentication, subscriptions, errors and close codes."""

import time

import pytest
from websockets.exceptions import ConnectionClosed

from notifications.services import notification_create
from orders.services import account_open
from tests.accounts.factories import UserFactory
from tests.orders.conftest import market  # noqa: F401 - fixture

from .conftest import access_token

pytestmark = pytest.mark.django_db(transaction=True)


def closed_with(client, timeout: float = 10.0):
    """The close frame the server sent (code, reason), after whatever messages came first."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            client.recv(timeout=timeout)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_a_jwt_client_hears_its_notice_with_a_sequence_number(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    hello = client.auth(access_token(user))
    assert hello["op"] == "authenticated" and hello["user"] == user.username
    assert client.subscribe("notices", "orders") == {"op": "subscribed", "topics": ["notices", "orders"]}

    notification_create(user_id=user.pk, code="test_notice", message="Hello from the platform")

    event = client.until(lambda m: m.get("topic") == "notices", what="the notice")
    assert event["seq"] == hello["seq"] + 1
    assert event["data"]["code"] == "test_notice" and event["data"]["message"] == "Hello from the platform"


def test_bad_messages_get_stable_error_codes_and_the_connection_stays(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    client.send({"op": "subscribe", "topics": ["orders"]})
    assert client.recv()["code"] == "auth_required"
    client.auth(access_token(user))

    client.send("{not json")
    assert client.recv()["code"] == "invalid_json"
    client.send({"op": "dance"})
    assert client.recv()["code"] == "unknown_op"
    client.send({"op": "subscribe", "topics": "orders"})
    assert client.recv()["code"] == "invalid_message"
    client.send("x" * (64 * 1024 + 1))
    assert client.recv()["code"] == "frame_too_large"
    client.send({"op": "subscribe", "topics": ["quotes:NSE:NOSUCH", "weather", "orders:999999"]})
    errors = {m["topic"]: m["code"] for m in (client.recv(), client.recv(), client.recv())}
    assert errors == {
        "quotes:NSE:NOSUCH": "unknown_topic",
        "weather": "unknown_topic",
        "orders:999999": "topic_not_allowed",
    }
    client.send({"op": "ping"})
    assert client.until(lambda m: m.get("op") == "pong", what="pong") == {"op": "pong"}


def test_another_users_account_topic_is_refused_by_name(stream_server, ws_client):
    owner, other = UserFactory(), UserFactory()
    account_id = account_open(user=owner).pk
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(other))

    answer = client.subscribe(f"orders:{account_id}")

    assert answer == {
        "op": "error",
        "code": "topic_not_allowed",
        "message": "That is not one of your trading accounts.",
        "topic": f"orders:{account_id}",
    }


def test_a_bad_token_is_refused_and_closed_with_a_reason(stream_server, ws_client):
    server = stream_server()
    client = ws_client(server)
    answer = client.auth("not-a-token")
    assert answer["op"] == "error" and answer["code"] == "auth_failed"
    assert closed_with(client) == (4401, "auth_failed")


def test_a_client_that_never_authenticates_is_closed(stream_server, ws_client):
    server = stream_server(STREAM_AUTH_SECONDS="1")
    client = ws_client(server)
    assert closed_with(client) == (4401, "auth_timeout")


def test_connections_per_user_are_limited(stream_server, ws_client):
    user = UserFactory()
    server = stream_server(STREAM_MAX_CONNECTIONS_PER_USER="2")
    token = access_token(user)
    for _ in range(2):
        assert ws_client(server).auth(token)["op"] == "authenticated"
    third = ws_client(server)
    third.send({"op": "auth", "token": token})
    assert closed_with(third) == (4409, "too_many_connections")


def test_a_flood_of_messages_is_refused_then_closed(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(user))
    for _ in range(100):
        client.send({"op": "subscribe", "topics": ["orders"]})
    answers = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            answers.append(client.recv())
    codes = [a.get("code") for a in answers if a.get("op") == "error"]
    assert codes and set(codes) == {"rate_limited"}
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4429, "too_many_errors")


def test_market_topics_per_connection_are_limited(stream_server, ws_client, market):  # noqa: F811
    server = stream_server(STREAM_MAX_SYMBOLS="2")
    client = ws_client(server)
    client.auth(access_token(UserFactory()))
    client.send({"op": "subscribe", "topics": ["quotes:NSE:SBIN-EQ", "quotes:NSE:INFY-EQ", "candles:NSE:SBIN-EQ:1m"]})
    first = client.until(lambda m: m.get("op") in ("error", "subscribed"))
    assert first == {
        "op": "error",
        "code": "too_many_subscriptions",
        "message": "At most 2 market topics.",
        "topic": "candles:NSE:SBIN-EQ:1m",
    }
    subscribed = client.until(lambda m: m.get("op") == "subscribed")
    assert subscribed["topics"] == ["quotes:NSE:SBIN-EQ", "quotes:NSE:INFY-EQ"]


def test_a_silent_client_is_closed_and_one_that_answers_pings_stays(stream_server, ws_client):
    user = UserFactory()
    server = stream_server(STREAM_PING_SECONDS="0.5", STREAM_RECHECK_SECONDS="0.5")
    silent, lively = ws_client(server), ws_client(server)
    silent.auth(access_token(user))
    lively.auth(access_token(user))
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if lively.until(lambda m: m.get("op") == "ping", what="a ping"):
            lively.send({"op": "pong"})
    assert closed_with(silent) == (4408, "heartbeat_timeout")
    lively.send({"op": "ping"})
    assert lively.until(lambda m: m.get("op") == "pong") == {"op": "pong"}


def test_a_client_may_take_its_messages_in_batches(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server, subprotocols=["trading.v1.batch"])
    assert client.ws.subprotocol == "trading.v1.batch"
    client.send({"op": "ping"})
    assert client.recv() == [{"op": "pong"}]  # before authentication too, every frame is a batch
    client.send({"op": "auth", "token": access_token(user)})
    assert client.recv()[0]["op"] == "authenticated"
    client.send({"op": "subscribe", "topics": ["notices"]})
    assert client.recv() == [{"op": "subscribed", "topics": ["notices"]}]

    for i in range(5):
        notification_create(user_id=user.pk, code="test_notice", message=f"n{i}")

    heard = []
    while len(heard) < 5:
        batch = client.recv()
        assert isinstance(batch, list)
        heard += [m["data"]["message"] for m in batch if m.get("topic") == "notices"]
    assert heard == [f"n{i}" for i in range(5)]


def test_a_busy_connection_is_pinged_too(stream_server, ws_client):
    user = UserFactory()
    server = stream_server(STREAM_PING_SECONDS="0.5")
    client = ws_client(server)
    client.auth(access_token(user))
    client.subscribe("notices")
    pings = events = 0
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        notification_create(user_id=user.pk, code="test_notice", message="busy")
        for message in client.gather(0.1):
            if message.get("op") == "ping":
                pings += 1
                client.send({"op": "pong"})
            events += "topic" in message
    assert events >= 10 and pings >= 3  # and the connection is still open:
    client.send({"op": "ping"})
    assert client.until(lambda m: m.get("op") == "pong") == {"op": "pong"}
