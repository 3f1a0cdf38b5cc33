"""The Content Security Policy with the live stream's socket in `connect-src`.

django-csp's middleware, told one thing more per request: the stream's origin depends on the page's host
when it listens on a port of its own (`make run`), so it cannot be a fixed setting. Nothing else is opened.
"""

from csp.middleware import CSPMiddleware, PolicyParts

from .stream import stream_origin


class StreamCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", ()), stream_origin(request)]
        parts.update = update
        return parts
