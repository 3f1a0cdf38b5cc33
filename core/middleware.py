"""Project-wide middleware."""

from datetime import UTC

from django.conf import settings
from django.utils import timezone


class ApiTimesInUtcMiddleware:
    """The API speaks UTC; the dashboard shows IST (TIME_ZONE). DRF renders in the active zone."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        timezone.activate(UTC)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class StyledNotFoundMiddleware:
    """With DEBUG on, Django answers an unknown URL with its technical 404 page; a trader gets ours.

    Placed after CommonMiddleware in MIDDLEWARE (so inside it): CommonMiddleware still sees the 404
    and redirects /path to /path/ as before. The API keeps its JSON 404 (core.views.not_found).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or not settings.DEBUG or getattr(response, "styled", False):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        from core.views import not_found

        return not_found(request)
