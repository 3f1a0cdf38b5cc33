"""Who is calling (address, browser), remembered for the security events the request causes."""

from .services.login import client_ip
from .services.security import client_reset, client_set


class SecurityContextMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = client_set(ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""))
        try:
            return self.get_response(request)
        finally:
            client_reset(token)
