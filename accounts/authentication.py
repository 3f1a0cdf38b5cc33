from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication

from .errors import TokenInvalid
from .tokens import access_token_decode


class JWTAuth(JWTAuthentication):
    """simplejwt's authentication, answering expired and invalid tokens with our codes."""

    def get_validated_token(self, raw_token: bytes):
        try:
            return access_token_decode(raw_token.decode("latin-1"))
        except TokenInvalid as exc:
            # DRF marks the request unauthenticated only for its own exception type.
            raise AuthenticationFailed(exc.message, code=exc.code) from exc

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
