from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from core.errors import DomainError

from . import services
from .errors import ApiKeyInvalid, TokenInvalid, TokenLoggedOut, TokenPasswordChanged
from .tokens import access_token_decode, access_token_logged_out


class JWTAuth(JWTAuthentication):
    """simplejwt's authentication, answering expired, invalid and revoked tokens with our codes.

    Revocation is checked against the user row simplejwt loads anyway: the token's password claim
    (simplejwt's CHECK_REVOKE_TOKEN) and the logins logged out (accounts.tokens).
    """

    def get_validated_token(self, raw_token: bytes):
        try:
            return access_token_decode(raw_token.decode("latin-1"))
        except TokenInvalid as exc:
            # DRF marks the request unauthenticated only for its own exception type.
            raise AuthenticationFailed(exc.message, code=exc.code) from exc

    def get_user(self, validated_token):
        try:
            user = super().get_user(validated_token)
        except AuthenticationFailed as exc:
            detail = exc.detail  # simplejwt's: {"detail": message, "code": its code}
            if isinstance(detail, dict) and detail.get("code") == "password_changed":
                raise _drf(TokenPasswordChanged()) from exc
            raise
        if access_token_logged_out(validated_token.payload, user):
            raise _drf(TokenLoggedOut())
        return user

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuth(BaseAuthentication):
    """`Authorization: Api-Key <key>`: the key's owner is the user, the key is `request.auth`.

    The key's limits are enforced here, for every view that accepts API keys,
    rather than by a permission class a view could replace: a `read` key makes no
    change (any unsafe method: 403 `api_key_scope`), a paper-only key makes none
    while the account is live (403 `api_key_live_not_allowed`).
    """

    keyword = b"api-key"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # not ours: JWT or the session may authenticate the request
        if len(parts) != 2:
            raise _drf(ApiKeyInvalid("Send the key as `Authorization: Api-Key <key>`."))
        try:
            key = services.api_key_authenticate(raw_key=parts[1].decode("latin-1"), ip=services.client_ip(request))
            services.api_key_authorize(key=key, method=request.method)
        except DomainError as exc:
            raise _drf(exc) from exc
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'Api-Key realm="api"'


def _drf(exc: DomainError) -> exceptions.APIException:
    """DRF marks the request unauthenticated only for its own exception types: 401 or 403, same code."""
    kind = AuthenticationFailed if exc.status_code == 401 else exceptions.PermissionDenied
    return kind(exc.message, code=exc.code)
