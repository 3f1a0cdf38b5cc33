"""Project-wide middleware: what every request gets before and after any view."""

from datetime import UTC

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from .api import error_body

_ERROR_CODES = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You are not allowed to do that."),
    404: ("not_found", "No such endpoint or object."),
    405: ("method_not_allowed", "That method is not allowed here."),
    413: ("request_too_large", "The request body is too large."),
    500: ("internal_error", "Something went wrong on our side; it has been logged."),
}


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class RejectNulMiddleware:
    """A NUL character in the path or query string is refused with a 400 before any view runs.

    No URL we serve needs one, PostgreSQL cannot store or compare one (the
    driver raises), and request bodies are already checked by the form and
    serializer fields.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any("\x00" in v for vs in request.GET.lists() for v in [vs[0], *vs[1]]):
            message = "The address contains a NUL character."
            if _is_api(request):
                return JsonResponse(error_body("invalid_characters", message), status=400)
            return HttpResponseBadRequest(render_to_string("errors/400.html", request=request))
        return self.get_response(request)


class ApiConventionsMiddleware:
    """What every /api/ response shares, in every mode (DEBUG on or off).

    - times in UTC (the dashboard shows IST, the project's TIME_ZONE);
    - a body over the limit is a 413 before anything reads it;
    - any error Django answers itself (an unmatched URL, a body too large to
      read) comes out in the JSON error envelope, never as an HTML page;
    - responses are never cached: they carry personal data (orders, funds).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not _is_api(request):
            return self.get_response(request)
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return self._finish(JsonResponse(error_body(*_ERROR_CODES[413]), status=413))
        timezone.activate(UTC)
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        return self._finish(response)

    @staticmethod
    def _finish(response):
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            code, message = _ERROR_CODES.get(
                response.status_code, _ERROR_CODES[400 if response.status_code < 500 else 500]
            )
            replacement = JsonResponse(error_body(code, message), status=response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            response = replacement
        add_never_cache_headers(response)
        return response


class StyledNotFoundMiddleware:
    """With DEBUG on, Django answers an unknown URL with its technical 404 page; a trader gets ours.

    Placed after CommonMiddleware in MIDDLEWARE (so inside it): CommonMiddleware still sees the 404
    and redirects /path to /path/ as before. The API keeps its JSON 404 (ApiConventionsMiddleware).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 404 or not settings.DEBUG or getattr(response, "styled", False):
            return response
        if _is_api(request) or not response.get("Content-Type", "").startswith("text/html"):
            return response
        from core.views import not_found

        return not_found(request)
