"""Inputs an outside probe used to turn into server errors: each now gets a 4xx with a stable code."""

import json

import pytest
from django.test import override_settings

from core.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

JSON_ENDPOINTS = ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/orders/", "/api/v1/watchlist/"]


def envelope(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_json_nested_past_the_limit_is_refused_before_it_is_parsed(auth_client, path):
    body = "[" * 5000 + "]" * 5000
    response = auth_client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] == "malformed_json"


def test_json_nested_to_the_limit_is_parsed_as_usual(auth_client):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)  # inside the object: MAX_JSON_DEPTH in all
    body = json.dumps({"username": "someone", "password": "x"})[:-1] + ', "extra": ' + nested + "}"
    response = auth_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] == "unknown_field"  # parsed, then refused for the unknown field


def test_brackets_inside_strings_do_not_count_as_nesting(auth_client):
    body = json.dumps({"username": "[" * 1000, "password": "{" * 200})
    response = auth_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] == "validation_error"  # too long a username, not malformed


@pytest.mark.parametrize("debug", [False, True])
def test_an_oversized_api_body_is_a_413_in_the_envelope(auth_client, settings, debug):
    settings.DEBUG = debug
    body = json.dumps({"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "password": "y"})
    response = auth_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 413
    assert envelope(response)["code"] == "request_too_large"


@pytest.mark.parametrize("debug", [False, True])
def test_non_integer_ids_get_a_json_404_in_every_mode(auth_client, debug):
    with override_settings(DEBUG=debug):
        response = auth_client.get("/api/v1/orders/not-a-number/")
    assert response.status_code == 404
    assert envelope(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "query", ["/api/v1/quotes/?symbols=%00", "/api/v1/instruments/?exchange=%00", "/api/v1/orders/?symbol=a%00b"]
)
def test_a_nul_byte_in_an_api_query_is_a_400_with_a_stable_code(auth_client, query):
    response = auth_client.get(query)
    assert response.status_code == 400
    assert envelope(response)["code"] == "invalid_characters"


@pytest.mark.parametrize(
    "path", ["/market/instruments/search/?q=%00", "/market/instruments/NSE/SB%00IN-EQ/", "/trading/orders/?x=%00"]
)
def test_a_nul_byte_in_a_dashboard_url_is_a_400_page(client, user, password, path):
    client.login(username=user.username, password=password)
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
