from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTAuthScheme(SimpleJWTScheme):
    """Documents our JWT authentication class exactly like simplejwt's own."""

    target_class = "accounts.authentication.JWTAuth"
