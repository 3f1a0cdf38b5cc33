"""One URL, one APIView per HTTP method.

REST puts several operations on one path (GET and POST /orders/); the house
writes one APIView per operation, each with its own nested serializers. `route`
joins them on a path: `path("orders/", route(get=OrderListApi, post=OrderCreateApi))`.
Each view runs as it would on a path of its own (authentication, permissions,
throttling, CSRF for session logins); the schema generator (core.schema)
documents each method from its own view.
"""

from django.http import HttpResponseNotAllowed
from rest_framework.views import APIView


def route(**views: type[APIView]):
    callbacks = {method.upper(): view.as_view() for method, view in views.items()}

    allowed = ", ".join([*callbacks, "HEAD", "OPTIONS"])

    def dispatch(request, *args, **kwargs):
        method = "GET" if request.method == "HEAD" else request.method
        if method == "OPTIONS":  # the first view describes itself; the path allows every route's method
            response = next(iter(callbacks.values()))(request, *args, **kwargs)
            response["Allow"] = allowed
            return response
        if method not in callbacks:
            return HttpResponseNotAllowed(list(callbacks))  # the API middleware writes it in the envelope
        return callbacks[method](request, *args, **kwargs)

    # What DRF's and drf-spectacular's endpoint enumeration look for on a view callback.
    dispatch.cls = type("Route", (APIView,), {method.lower(): None for method in callbacks})
    dispatch.initkwargs = {}
    dispatch.operations = callbacks
    dispatch.csrf_exempt = True  # each view enforces CSRF itself for session-authenticated requests
    return dispatch
