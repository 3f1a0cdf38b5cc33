"""What a trader can rely on: their own events only, in order, none lost over a reconnect; closed when their
credential ends."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import LoginLockout, User
from notifications.services import notification_create
from orders.services import account_open, order_place
from tests.accounts.factories import UserFactory
from tests.orders.conftest import market, params  # noqa: F401 - fixture

from .conftest import access_token
from .test_protocol import closed_with

pytestmark = pytest.mark.django_db(transaction=True)

PRIVATE = ("orders", "positions", "funds", "notices")


def notices(user, count: int, prefix: str = "n") -> None:
    for i in range(count):
        notification_create(user_id=user.pk, code="test_notice", message=f"{prefix}{i}")


def test_another_users_burst_of_orders_never_reaches_a_client(stream_server, ws_client, market):  # noqa: F811
    alice, bob = UserFactory(), UserFactory()
    account_open(user=alice, starting_funds=Decimal("1000000"), always_open=True)
    account_open(user=bob)
    server = stream_server()
    spy, own = ws_client(server), ws_client(server)
    spy.auth(access_token(bob))
    spy.subscribe(*PRIVATE)
    own.auth(access_token(alice))
    own.subscribe(*PRIVATE)

    placed = [
        order_place(user=alice, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price=700))[0]
        for _ in range(25)
    ]
    notices(alice, 5, prefix="alice-")

    heard = []
    while len([m for m in heard if m.get("topic") == "orders"]) < 25 or len(heard) < 55:
        heard.append(own.until(lambda m: "topic" in m, what=f"alice's event {len(heard) + 1}"))
    assert {m["data"]["id"] for m in heard if m["topic"] == "orders"} == {o.pk for o in placed}
    assert [m["seq"] for m in heard] == list(range(heard[0]["seq"], heard[0]["seq"] + len(heard)))
    assert [m for m in spy.gather(1.0) if m.get("op") != "ping"] == []


def test_a_client_that_reconnects_gets_what_it_missed_once_and_in_order(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    token = access_token(user)
    first = ws_client(server)
    first.auth(token)
    first.subscribe("notices")
    notices(user, 3, prefix="before-")
    seen = [first.until(lambda m: m.get("topic") == "notices") for _ in range(3)]
    first.close()

    notices(user, 5, prefix="while-away-")
    again = ws_client(server)
    again.auth(token)
    again.subscribe("notices", resume_from=seen[-1]["seq"])
    notices(user, 2, prefix="after-")

    got = [m for m in again.gather(2.0) if m.get("topic") == "notices"]
    assert [m["data"]["message"] for m in got] == [f"while-away-{i}" for i in range(5)] + ["after-0", "after-1"]
    assert [m["seq"] for m in got] == list(range(seen[-1]["seq"] + 1, seen[-1]["seq"] + 8))


def test_a_resume_from_beyond_what_is_kept_is_told_to_resync(stream_server, ws_client):
    user = UserFactory()
    notices(user, 3)
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(user))
    client.subscribe("notices", resume_from=999)
    assert client.until(lambda m: m.get("op") == "resync", what="resync")["topics"] == list(PRIVATE)


def test_an_expired_token_closes_the_socket(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=2))
    client = ws_client(server)
    assert client.auth(str(token))["op"] == "authenticated"
    client.subscribe("notices")
    assert closed_with(client) == (4401, "token_expired")


def test_a_deactivated_user_is_closed(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert closed_with(client) == (4403, "user_inactive")


def test_a_locked_out_user_is_closed(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(user))
    LoginLockout.objects.create(username=user.username.lower(), locked_until=timezone.now() + timedelta(minutes=5))
    assert closed_with(client) == (4403, "user_locked")


def test_a_client_resumes_across_a_restart_of_the_stream_server(stream_server, ws_client):
    user = UserFactory()
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(user))
    client.subscribe("notices")
    notices(user, 2, prefix="before-")
    last = [client.until(lambda m: m.get("topic") == "notices") for _ in range(2)][-1]["seq"]

    server.stop()  # a deploy
    assert closed_with(client)[0] == 1012  # "service restart": come back
    notices(user, 3, prefix="during-")
    restarted = stream_server(port=server.port)
    again = ws_client(restarted)
    again.auth(access_token(user))
    again.subscribe("notices", resume_from=last)

    got = [again.until(lambda m: m.get("topic") == "notices") for _ in range(3)]
    assert [(m["seq"], m["data"]["message"]) for m in got] == [(last + 1 + i, f"during-{i}") for i in range(3)]
