import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_paths_get_the_json_envelope(auth_client):
    response = auth_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_methods_get_405_in_the_envelope(auth_client):
    response = auth_client.delete("/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unknown_dashboard_pages_get_an_html_404(client, user, password):
    client.login(username=user.username, password=password)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"That page does not exist" in response.content


def test_session_authenticated_writes_without_csrf_are_refused_in_the_envelope(user, password):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.login(username=user.username, password=password)
    response = client.post("/api/v1/auth/logout/", {"refresh": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] in {"permission_denied", "csrf_failed"}
