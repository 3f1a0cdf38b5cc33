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
    assert response.json()["error"]["code"] == "csrf_failed"


def test_each_input_serializer_binds_its_own_copies_of_the_declared_fields():
    """Fields are copied shallowly per instance (cheaper than DRF's deep copy): two requests never share one."""
    from rest_framework import serializers

    from core.api import StrictSerializer

    class Nested(StrictSerializer):
        name = serializers.CharField(max_length=5)

    class Input(StrictSerializer):
        quantity = serializers.IntegerField(min_value=1)
        side = serializers.ChoiceField(choices=["BUY", "SELL"])
        tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
        nested = Nested(required=False)

    a, b = Input(data={"quantity": 2, "side": "BUY", "tags": ["x"]}), Input(data={"quantity": 0, "side": "HOLD"})
    assert all(a.fields[name] is not b.fields[name] for name in ("quantity", "side", "tags", "nested"))
    assert a.fields["quantity"].parent is a and b.fields["quantity"].parent is b
    assert a.fields["tags"].child is not b.fields["tags"].child  # fields holding fields are deep-copied
    assert a.fields["nested"].fields["name"] is not b.fields["nested"].fields["name"]
    assert a.is_valid() and a.validated_data == {"quantity": 2, "side": "BUY", "tags": ["x"]}
    assert not b.is_valid() and set(b.errors) == {"quantity", "side"}
    assert not Input(data={"quantity": 1, "side": "BUY", "tags": ["long"]}).is_valid()  # child rules still apply
    assert getattr(Input._declared_fields["quantity"], "parent", None) is None  # the declared field stays unbound


def test_a_nul_in_a_json_key_never_reaches_the_error_message(auth_client):
    """Found by the schema fuzzer on /api/v1/sweeps/: a grid key with a NUL was echoed into the message."""
    body = {"strategy": "sma_cross", "symbols": ["NSE:SBIN-EQ"], "interval": "1d", "grid": {"fast\u0000": {}}}
    response = auth_client.post("/api/v1/sweeps/", body, format="json")
    assert response.status_code == 400
    assert "\x00" not in response.json()["error"]["message"]
