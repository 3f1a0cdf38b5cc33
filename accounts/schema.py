from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JWTAuthScheme(SimpleJWTScheme):
    """Documents our JWT authentication class exactly like simplejwt's own."""

    target_class = "accounts.authentication.JWTAuth"


class SessionAuthScheme(SessionScheme):
    """Documents our session authentication (DRF's, with our CSRF code) as DRF's own: `cookieAuth`."""

    target_class = "accounts.authentication.SessionAuth"


class ApiKeyAuthScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuth"
    name = "apiKeyAuth"

    def get_security_requirement(self, auto_schema):
        action = getattr(auto_schema.view, "owner_action", None)
        if action is not None and action.key_scope is None and action.applies_to(auto_schema.method):
            return None  # an owner action no key may take
        return super().get_security_requirement(auto_schema)

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`. Every key reads; `trade` lets it change things (otherwise 403 "
            "`api_key_scope`); a paper-only key changes nothing while the account is live (403 "
            "`api_key_live_not_allowed`). Owner actions: broker credentials and notification targets need the "
            "`account` scope (403 `api_key_scope`); paper/live and API keys are never a key's (403 "
            "`api_key_not_allowed`). Refused keys: 401 `api_key_invalid`, `api_key_revoked`, `api_key_expired`; "
            "403 `api_key_ip_not_allowed`.",
        }
