"""Outgoing SmartAPI calls carry the X-Request-ID of the request or task behind them (seen by the fake Angel One)."""

import pytest

from brokers.angelone.adapter import AngelOneBroker
from monitoring.tracing import set_request_id


@pytest.fixture(autouse=True)
def _no_request_id():
    set_request_id(None)
    yield
    set_request_id(None)


def test_every_call_made_under_a_request_id_sends_it(live_account, fake):
    set_request_id("req-broker-1")

    AngelOneBroker(live_account.account).funds()

    seen = list(fake.state.request_ids)
    assert {route for route, _ in seen} >= {"loginByPassword", "getRMS"}
    assert {request_id for _, request_id in seen} == {"req-broker-1"}


def test_a_call_made_outside_any_request_sends_no_id(live_account, fake):
    AngelOneBroker(live_account.account).funds()

    assert fake.state.request_ids and {request_id for _, request_id in fake.state.request_ids} == {None}
