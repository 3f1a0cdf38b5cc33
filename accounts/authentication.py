from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from core.errors import CsrfFailed, DomainError

from . import services
from .errors import ApiKeyInvalid, TokenInvalid, TokenLoggedOut, TokenPasswordChanged
from .tokens import access_token_decode, access_token_logged_out


class JWTAuth(JWTAuthentication):
    """simplejwt's authentication, answering expired, invalid and revoked tokens with our codes.

    Revocation is checked against the user row simplejwt loads anyway: the token's password claim
    (simplejwt's CHECK_REVOKE_TOKEN) and the logins logged out (accounts.tokens).
    """

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            _count_failure(request)
            raise

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
    while the account is live (403 `api_key_live_not_allowed`), and a view's
    declared `owner_action` (core.api.OwnerAction) needs the scope it names
    (403 `api_key_scope`) or is refused to every key (403 `api_key_not_allowed`).
    """

    keyword = b"api-key"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # not ours: JWT or the session may authenticate the request
        try:
            if len(parts) != 2:
                raise ApiKeyInvalid("Send the key as `Authorization: Api-Key <key>`.")
            key = services.api_key_authenticate(raw_key=parts[1].decode("latin-1"), ip=services.client_ip(request))
            services.api_key_authorize(key=key, method=request.method, owner_action=_owner_action(request))
        except DomainError as exc:
            if exc.status_code == 401:
                _count_failure(request)
            raise _drf(exc) from exc
        return key.user, key

    def authenticate_header(self, request) -> str:
        return 'Api-Key realm="api"'


def _owner_action(request):
    view = (getattr(request, "parser_context", None) or {}).get("view")
    return getattr(view, "owner_action", None)


class SessionAuth(SessionAuthentication):
    """DRF's session authentication, answering a CSRF failure with the documented `csrf_failed`.

    DRF raises its PermissionDenied (`permission_denied`) rather than calling Django's
    CSRF_FAILURE_VIEW, which says `csrf_failed` for the API (core.views).
    """

    def enforce_csrf(self, request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            reason = str(exc.detail).removeprefix("CSRF Failed: ")  # e.g. "CSRF token missing."
            raise _drf(CsrfFailed(f"{CsrfFailed.default_message} ({reason})")) from exc


def _count_failure(request) -> None:
    """Count a failed authentication (a wrong key, a bad or expired token) for the caller's address.

    Past AUTH_FAILURE_RATE_LIMIT the failure is answered 429 `rate_limited` instead of 401. Only
    failures are counted, so good credentials cost nothing more and are never refused by it.
    """
    usage = get_usage(
        request,
        group="api-auth-failures",
        key=lambda _group, req: services.client_ip(req),
        rate=settings.AUTH_FAILURE_RATE_LIMIT,
        increment=True,
    )
    if usage and usage["should_limit"]:
        wait = max(1, usage["time_left"])
        message = f"Too many failed authentications from this address; try again in {wait} s."
        raise exceptions.Throttled(wait=wait, detail=message)


def _drf(exc: DomainError) -> exceptions.APIException:
    """DRF marks the request unauthenticated only for its own exception types: 401 or 403, same code."""
    kind = AuthenticationFailed if exc.status_code == 401 else exceptions.PermissionDenied
    return kind(exc.message, code=exc.code)
