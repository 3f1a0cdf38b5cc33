"""Every operation in the OpenAPI schema, fed bad input: always a 4xx envelope, never a 500.

The list of operations comes from the schema, so endpoints added later are
covered without touching this file.
"""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

BAD_BODIES = [
    '{"unterminated": ',
    "[]",
    '"just a string"',
    "null",
    "12",
    '{"quantity": "NaN", "price": "1e999", "side": ["BUY"], "symbol": {"$gt": ""}}',
    '{"' + "k" * 300 + '": "' + "v" * 20000 + '"}',
    '{"quantity": -1, "price": -0.0, "exchange": "\\u0000", "username": "\\ud800"}',
    # Extreme values, one body per shape (a strict serializer refuses unknown fields before it reads any):
    # digits other than 0-9 (\u0969\u0966\u0966 is Devanagari 300), exponents and amounts past any field, far dates.
    '{"exchange": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "quantity": "\\u0969\\u0966\\u0966", '
    '"order_type": "SL", "product": "CNC", "price": 1e999999999, "trigger_price": "1e-999999999"}',
    '{"strategy": "sma_crossover", "symbols": ["NSE:SBIN-EQ"], "interval": "1d", "start": "0001-01-01", '
    '"end": "9999-12-31T23:59:59-05:00", "initial_cash": 100000000000000000000000000}',
    '{"ids": [100000000000000000000000000]}',
    '{"name": "k", "scopes": ["read"], "expires_in_days": "\\u0969\\u0966"}',
]
BAD_QUERIES = [
    "?page=-1",
    "?page=abc",
    "?page_size=100000000000000000000",
    "?symbols=" + ",".join(["X:Y"] * 500),
    "?start=yesterday&end=2020-13-45T99:99",
    "?search=%00%ff",
    "?date=0001-01-01&start=0001-01-01T00:00:00&end=9999-12-31T23:59:59-05:00&page=%C2%B2",
    "?date=%E0%A5%A8%E0%A5%A6%E0%A5%A8%E0%A5%A9-01-01&page_size=%E0%A5%A9",  # Devanagari digits
]


def operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, ops in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "999999", path)
        for method in ops:
            yield method.upper(), concrete


def assert_enveloped_4xx(response, method, path, sent):
    assert response.status_code < 500, (method, path, sent, response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, (method, path, body)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", body["error"]["code"]), body


def test_bad_bodies_never_cause_a_500(auth_client):
    for method, path in operations(auth_client):
        if method not in {"POST", "PUT", "PATCH"}:
            continue
        for body in BAD_BODIES:
            response = auth_client.generic(method, path, body, content_type="application/json")
            assert_enveloped_4xx(response, method, path, body)


def test_bad_query_strings_never_cause_a_500(auth_client):
    for method, path in operations(auth_client):
        if method != "GET":
            continue
        for query in BAD_QUERIES:
            response = auth_client.get(path + query)
            assert_enveloped_4xx(response, method, path, query)


def test_anonymous_requests_get_a_4xx_envelope(api_client):
    for method, path in operations(api_client):
        response = api_client.generic(method, path, json.dumps({}), content_type="application/json")
        assert_enveloped_4xx(response, method, path, "{}")
