"""Every envelope, quirk and error code maps to a typed error, and to what the caller may do next."""

import pytest

from brokers.angelone.adapter import AngelOneBroker
from brokers.angelone.envelope import dec, integer, parse
from brokers.angelone.errors import (
    ERROR_CODES,
    AuthError,
    BrokerInternal,
    InputError,
    NetworkError,
    OrderRejected,
    RateLimited,
    RefreshInvalid,
    TokenInvalid,
    as_broker_error,
)
from brokers.base import BrokerAmbiguous, BrokerRejected, BrokerStatus, BrokerUnavailable

from .test_angelone_adapter import order


def body(text: str) -> bytes:
    return text.encode()


def test_a_success_envelope_gives_its_data():
    assert parse(200, body('{"status": true, "message": "SUCCESS", "errorcode": "", "data": {"a": "1"}}')) == {"a": "1"}
    assert parse(200, body('{"status": "true", "message": "SUCCESS", "errorcode": "", "data": "null"}')) is None


@pytest.mark.parametrize(
    "payload",
    [
        '{"status": false, "message": "Symbol not found", "errorcode": "AB1009", "data": null}',
        '{"status": "false", "message": "Symbol not found", "errorcode": "AB1009", "data": "null"}',
    ],
)
def test_both_failure_spellings_raise_the_same_typed_error(payload):
    with pytest.raises(InputError) as caught:
        parse(200, body(payload))

    assert (caught.value.code, caught.value.broker_code, caught.value.message) == (
        "symbol_not_found",
        "AB1009",
        "Symbol not found",
    )


def test_the_gateway_envelope_with_other_key_names_is_a_token_error():
    with pytest.raises(TokenInvalid) as caught:
        parse(401, body('{"success": false, "message": "Invalid Token", "errorCode": "AG8001", "data": ""}'))

    assert caught.value.broker_code == "AG8001"


def test_the_plain_text_403_is_a_rate_limit_that_was_not_acted_on():
    with pytest.raises(RateLimited) as caught:
        parse(403, body("Access denied because of exceeding access rate"))

    assert caught.value.maybe_sent is False
    assert isinstance(as_broker_error(caught.value, write=True), BrokerUnavailable)
    assert as_broker_error(caught.value, write=True).code == "rate_limited"


@pytest.mark.parametrize("status", [200, 502, 504])
def test_an_html_page_is_an_internal_error_that_may_have_been_acted_on(status):
    with pytest.raises(BrokerInternal) as caught:
        parse(status, body("<html><body>Bad gateway</body></html>"))

    assert "HTML" in caught.value.message
    assert isinstance(as_broker_error(caught.value, write=True), BrokerAmbiguous)
    assert isinstance(as_broker_error(caught.value, write=False), BrokerUnavailable)


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '"SUCCESS"'])
def test_malformed_answers_are_internal_errors(text):
    with pytest.raises(BrokerInternal):
        parse(200, body(text))


def test_a_failure_without_a_code_is_a_rejection_with_the_brokers_message():
    with pytest.raises(OrderRejected) as caught:
        parse(200, body('{"status": false, "message": "Order price out of range", "errorcode": ""}'))

    assert caught.value.message == "Order price out of range"


@pytest.mark.parametrize(
    ("code", "kind", "platform_code"),
    [
        ("AG8001", TokenInvalid, "broker_token_invalid"),
        ("AG8002", TokenInvalid, "broker_token_expired"),
        ("AG8003", TokenInvalid, "broker_token_missing"),
        ("AB8050", RefreshInvalid, "broker_refresh_invalid"),
        ("AB8051", RefreshInvalid, "broker_refresh_expired"),
        ("AB1000", AuthError, "broker_wrong_credentials"),
        ("AB1050", AuthError, "broker_wrong_totp"),
        ("AB1006", OrderRejected, "broker_client_blocked"),
        ("AB1008", InputError, "broker_invalid_variety"),
        ("AB1009", InputError, "symbol_not_found"),
        ("AB1012", InputError, "broker_invalid_product"),
        ("AB1013", InputError, "order_not_found"),
        ("AB4008", InputError, "broker_ordertag_too_long"),
        ("AB1004", BrokerInternal, "broker_internal_error"),
        ("AB2000", BrokerInternal, "broker_error_unspecified"),
        ("AB2001", BrokerInternal, "broker_internal_error"),
    ],
)
def test_every_listed_error_code_has_its_typed_error(code, kind, platform_code):
    payload = f'{{"status": false, "message": "m", "errorcode": "{code}", "data": null}}'
    with pytest.raises(kind) as caught:
        parse(200, body(payload))

    assert caught.value.code == platform_code
    mapped = as_broker_error(caught.value, write=True)
    if issubclass(kind, BrokerInternal):
        assert isinstance(mapped, BrokerAmbiguous)  # a write that may have been done
    else:
        assert isinstance(mapped, BrokerRejected) and mapped.code == platform_code
    assert code in ERROR_CODES


def test_network_errors_are_ambiguous_for_writes_only_when_something_was_sent():
    refused = NetworkError("connect failed", maybe_sent=False)
    timed_out = NetworkError("read timeout", maybe_sent=True)

    assert isinstance(as_broker_error(refused, write=True), BrokerUnavailable)
    assert isinstance(as_broker_error(timed_out, write=True), BrokerAmbiguous)
    assert isinstance(as_broker_error(timed_out, write=False), BrokerUnavailable)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", "12.50"),
        ("1,234.5", "1234.5"),
        (" 7 ", "7"),
        (3, "3"),
        ("", None),
        ("NaN", None),
        ("-", None),
        (None, None),
        (True, None),
    ],
)
def test_numbers_sent_as_strings_are_read_as_decimals(raw, expected):
    from decimal import Decimal

    assert dec(raw) == (None if expected is None else Decimal(expected))


def test_integers_tolerate_odd_strings():
    assert (integer("10"), integer("10.0"), integer(""), integer("abc")) == (10, 10, 0, 0)


# --- The same over real HTTP -----------------------------------------------------------------


def test_a_rate_limited_placement_is_unavailable_not_ambiguous(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(rate_limit_rate=1.0)

    with pytest.raises(BrokerUnavailable) as caught:
        broker.place_order(order(tag="T201"))

    assert caught.value.code == "rate_limited"
    assert fake.state.orders == {}


def test_a_500_html_page_on_placement_is_ambiguous_and_is_not_retried(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(error_rate=1.0)

    with pytest.raises(BrokerAmbiguous):
        broker.place_order(order(tag="T202"))

    assert fake.state.requests["placeOrder"] == 1  # a write is never repeated blindly


def test_reads_are_retried_through_transient_server_errors(live_account, fake, settings):
    settings.BROKER_READ_RETRIES = 3
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(reset_next=2)  # two connections cut before any answer

    assert broker.funds().available is not None
    assert fake.state.requests["getRMS"] == 3


def test_a_placement_whose_answer_is_lost_is_ambiguous_and_found_by_its_tag(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(lose_next_place=1)

    with pytest.raises(BrokerAmbiguous):
        broker.place_order(order(tag="T203"))

    found = broker.find_order_by_tag("T203")
    assert found is not None and found.status == BrokerStatus.COMPLETE
    assert fake.state.requests["placeOrder"] == 1


def test_a_placement_slower_than_the_read_timeout_is_ambiguous(live_account, fake, settings):
    settings.ANGELONE_READ_TIMEOUT_SECONDS = 0.3
    from brokers.angelone.transport import close_http_clients

    close_http_clients()
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(slow_rate=1.0, slow_seconds=0.6)

    with pytest.raises(BrokerAmbiguous) as caught:
        broker.place_order(order(tag="T204"))

    assert "ReadTimeout" in caught.value.message
    fake.faults(slow_rate=0.0)
    assert broker.find_order_by_tag("T204") is not None  # it was booked all the same


def test_a_connection_reset_before_the_broker_acted_on_a_write_is_still_ambiguous(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(reset_next=1)

    with pytest.raises(BrokerAmbiguous):
        broker.place_order(order(tag="T205"))

    assert broker.find_order_by_tag("T205") is None  # reconciliation will prove it absent and send it again
