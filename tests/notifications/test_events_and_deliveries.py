"""Trader notifications end to end: an order fills or the broker rejects it after accepting it, and the
trader hears of it by email (a real SMTP sink), a signed webhook and Telegram (real HTTP on loopback)."""

import socket
from dataclasses import replace
from decimal import Decimal

import pytest

from accounts.selectors import default_account_for
from brokers.base import BrokerOrder, BrokerStatus, OrderUpdate
from brokers.events import BrokerSessionExpired
from core import events
from notifications import deliveries
from notifications.models import Delivery
from notifications.services import preferences_update
from orders import services
from orders.models import OrderStatus
from orders.services import account_open
from risk.events import DailyLossLimitReached, KillSwitchActivated
from strategies.events import StrategyRunFailed
from tests.accounts.factories import UserFactory
from tests.monitoring.conftest import BOT_TOKEN
from tests.monitoring.servers import HttpReceiver
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db
CHAT_ID = "424242"


@pytest.fixture
def subscribed(trader, webhook, telegram, smtp):
    """The trader wants fills and rejections on every channel; returns the webhook secret shown once."""
    trader.email = "trader@example.com"
    trader.save(update_fields=["email"])
    _, secret = preferences_update(
        user=trader,
        events=["fills", "rejections"],
        channels=["email", "webhook", "telegram"],
        webhook_url=webhook.url + "/hook",
        telegram_chat_id=CHAT_ID,
    )
    assert secret
    return secret


def place(trader, instrument, **kw):
    order, _ = services.order_place(user=trader, instrument=instrument, params=params(**kw))
    return order


def assert_everywhere(smtp, webhook, telegram, secret, *, event: str, words: str):
    assert [m.to for m in smtp.messages] == [["trader@example.com"]] and words in smtp.messages[0].body
    (hook,) = webhook.received
    assert hook.signed_with(secret) and hook.json()["event"] == event
    (bot,) = telegram.received
    assert bot.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert bot.json()["chat_id"] == CHAT_ID and words in bot.json()["text"]


def test_a_fill_reaches_email_webhook_and_telegram(market, trader, subscribed, smtp, webhook, telegram, commit):
    order = place(trader, market["SBIN-EQ"], quantity=10)
    commit(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    assert_everywhere(smtp, webhook, telegram, subscribed, event="orders.filled", words="SBIN-EQ")
    data = webhook.received[0].json()["data"]
    assert (data["order_id"], data["quantity"], data["filled_quantity"]) == (str(order.id), "10", "10")
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_late_rejection_reaches_every_channel(market, trader, subscribed, smtp, webhook, telegram, commit):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790", product="MIS")
    commit(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    refused = BrokerOrder(
        broker_order_id=order.broker_order_id,
        tag=f"T{order.id}",
        status=BrokerStatus.REJECTED,
        quantity=order.quantity,
        message="RMS: margin exceeds the limit",
    )
    update = OrderUpdate(account_id=order.account_id, order=refused, trades=())
    commit(services.order_apply_update, update=update)
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert_everywhere(smtp, webhook, telegram, subscribed, event="orders.broker_rejected", words="RMS: margin")
    assert webhook.received[0].json()["data"]["late"] == "True"


def test_a_webhook_answering_500_is_retried_until_it_succeeds(market, trader, subscribed, webhook, commit):
    webhook.fail_next = 2
    order = place(trader, market["SBIN-EQ"], quantity=1)
    commit(services.order_submit, order_id=order.id)
    assert webhook.attempts == 3 and len(webhook.received) == 1
    assert webhook.received[0].signed_with(subscribed)
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.SENT, 3, "")


def test_a_webhook_that_never_answers_2xx_is_recorded_failed_and_the_fill_stands(
    market, trader, subscribed, webhook, commit
):
    webhook.fail_next = 100
    order = place(trader, market["SBIN-EQ"], quantity=1)
    commit(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.FAILED, 6, "HTTP 500")
    assert Delivery.objects.get(channel=Delivery.Channel.EMAIL).status == Delivery.Status.SENT


def test_a_trader_webhook_to_a_private_address_is_refused_in_production(
    market, trader, subscribed, webhook, commit, settings
):
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE = False
    order = place(trader, market["SBIN-EQ"], quantity=1)
    commit(services.order_submit, order_id=order.id)
    delivery = Delivery.objects.get(channel=Delivery.Channel.WEBHOOK)
    assert delivery.status == Delivery.Status.FAILED and "private or local" in delivery.last_error
    assert delivery.attempts == 1  # a refusal is final: retrying cannot make the address public
    assert webhook.attempts == 0


def test_the_webhook_goes_to_the_address_that_was_checked_not_to_a_second_lookup(trader, commit, settings, monkeypatch):
    """DNS rebinding: the name resolves to a public address for the check, then to an internal one. The
    request must go to the checked address (with the name as Host), never to a second lookup's answer.
    127.0.0.2 stands for the public address: no test traffic leaves the machine."""
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(deliveries, "_public", lambda address: str(address) == "127.0.0.2")
    answers = iter(["127.0.0.2"])  # the first lookup; every later one answers the internal address
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with HttpReceiver(host="127.0.0.2") as checked, HttpReceiver(host="127.0.0.1", port=checked.port) as internal:
        url = f"http://hooks.rebind.test:{checked.port}/hook"
        commit(
            deliveries.deliveries_queue, targets=[("webhook", url)], event="test", subject="t", payload={}, user=trader
        )
        assert internal.attempts == 0
        (hook,) = checked.received
    assert hook.path == "/hook" and hook.headers["Host"] == f"hooks.rebind.test:{checked.port}"
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_events_the_trader_did_not_choose_send_nothing(market, trader, webhook, commit):
    preferences_update(user=trader, events=["rejections"], channels=["webhook"], webhook_url=webhook.url)
    order = place(trader, market["SBIN-EQ"], quantity=1)
    commit(services.order_submit, order_id=order.id)
    assert not Delivery.objects.exists() and webhook.attempts == 0


def test_another_traders_fill_is_not_sent_to_me(market, trader, subscribed, webhook, commit):
    other = UserFactory()
    account_open(user=other, starting_funds=Decimal("100000"), always_open=True)
    order = place(other, market["SBIN-EQ"], quantity=1)
    commit(services.order_submit, order_id=order.id)
    assert webhook.attempts == 0


@pytest.mark.parametrize(
    ("preference", "event"),
    [
        ("daily_loss_limit", DailyLossLimitReached(day_pnl=Decimal("-5000"), limit=Decimal("5000"))),
        ("kill_switch", KillSwitchActivated(actor="user:trader", square_off=True)),
        ("broker_session_expired", BrokerSessionExpired(broker="angelone", message="wrong TOTP")),
        ("strategy_failed", StrategyRunFailed(run_id=1, strategy="sma_crossover", error="ZeroDivisionError in on_bar")),
    ],
)
def test_account_events_reach_the_accounts_owner(trader, webhook, commit, preference, event):
    preferences_update(user=trader, events=[preference], channels=["webhook"], webhook_url=webhook.url)
    commit(events.publish, event=replace(event, account_id=default_account_for(trader).id))
    (hook,) = webhook.received
    assert hook.json()["event"] == event.name


def test_a_platform_kill_switch_reaches_everyone_who_chose_it(trader, webhook, commit):
    preferences_update(user=trader, events=["kill_switch"], channels=["webhook"], webhook_url=webhook.url)
    commit(events.publish, event=KillSwitchActivated(actor="admin", square_off=False, platform=True))
    assert len(webhook.received) == 1
