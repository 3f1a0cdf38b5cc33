import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_schema_validates_as_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)
    for path in ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/logout/", "/api/v1/me/"):
        assert path in schema["paths"], path


def test_every_operation_documents_the_error_envelope(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "400" in responses, (method, path)
            ref = responses["400"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/Error"), (method, path, ref)


def test_schema_generation_has_no_warnings(tmp_path):
    # --fail-on-warn turns drf-spectacular's "could not resolve" warnings into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_swagger_ui_is_served_from_our_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/static/vendor/swagger-ui/swagger-ui-bundle.js" in response.content
