"""Project-wide middleware."""

from datetime import UTC

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
