"""Event names come from one registry: the Event classes; subscribing or publishing anything else is refused."""

import ast
import re
from dataclasses import dataclass

import pytest

from core import events
from tests.core.modules import our_modules

# Names that leave the platform (a webhook's "event", a notice's kind): integrators match on them,
# so they keep their spelling even where it does not follow "<app>.<what happened>".
LEAVE_THE_PLATFORM = {
    "orders.filled",
    "orders.broker_rejected",
    "risk.daily_loss_limit",
    "risk.kill_switch",
    "risk.limits_changed",
    "strategies.run_failed",
    "brokers.session_expired",
    "security.account_locked",
}
NAME = re.compile(r"[a-z]+\.[a-z_]+")


def test_the_names_that_leave_the_platform_are_all_still_registered():
    assert set(events.registered()) >= LEAVE_THE_PLATFORM


def test_every_internal_event_name_is_prefixed_by_the_app_that_publishes_it():
    wrong = {
        name: cls.__module__
        for name, cls in events.registered().items()
        if not cls.__module__.startswith("tests.")
        and name not in LEAVE_THE_PLATFORM
        and not (NAME.fullmatch(name) and name.split(".")[0] in cls.__module__.split("."))
    }
    assert wrong == {}


def test_every_subscription_the_apps_make_names_a_registered_event():
    subscribed = {name for name, _ in events._handlers}
    assert subscribed, "the apps subscribe in ready(): notifications, the security log"
    for name in subscribed:
        events._check_subscribable(name)  # raises UnknownEvent


def test_every_literal_name_given_to_subscribe_in_our_code_is_registered():
    literals = {
        (path, node.args[0].value)
        for path, tree in our_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "subscribe"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
    known = set(events.registered())
    unknown = {(path, name) for path, name in literals if name not in known and not name.endswith(".")}
    assert unknown == set()


def test_subscribing_to_a_name_no_event_has_is_refused():
    with pytest.raises(events.UnknownEvent):
        events.subscribe("orders.fill", print)  # the event is orders.filled
    with pytest.raises(events.UnknownEvent):
        events.subscribe("order.", print)  # no family "order."
    assert ("orders.fill", print) not in events._handlers


def test_publishing_an_event_whose_name_is_not_its_registered_one_is_refused():
    from orders.events import OrderFilled

    @dataclass(frozen=True, kw_only=True)
    class Impostor(OrderFilled):
        pass  # inherits the name "orders.filled" without owning it

    with pytest.raises(events.UnknownEvent):
        events.publish(
            Impostor(
                order_id=1,
                user_id=1,
                symbol="SBIN-EQ",
                side="BUY",
                quantity=1,
                average_price=1,
                filled_quantity=1,
                order_quantity=1,
            )
        )


def test_two_classes_cannot_claim_one_name():
    with pytest.raises(ValueError, match="already"):

        @dataclass(frozen=True, kw_only=True)
        class AnotherFill(events.Event):
            name = "orders.filled"
