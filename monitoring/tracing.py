"""Request ids: one per HTTP request, in every log line it causes, carried into its Celery tasks and broker calls.

The id is taken from the request's `X-Request-ID` header when that is 1-64
safe characters (letters, digits, `.`, `_`, `-`), otherwise made afresh (a
uuid4 in hex), and sent back in the response's `X-Request-ID`. It lives in a
contextvar: the logging filter, the Celery publish signal and the broker's
HTTP client read it from there, so no code has to pass it along.
"""

import re
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    """Set the id for the current context (a request, a task, a test); returns the contextvar's token."""
    return _request_id.set(value)


def accepted_request_id(incoming: str | None) -> str:
    """The caller's id when it is well formed, otherwise a new one."""
    if incoming and _VALID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every response (redirects and errors included) carries the id.

    The id stays current until the response is finished: Django logs a 4xx/5xx
    response ("Bad Request: /api/...") after the middleware has returned, and
    that line must carry the id too.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        set_request_id(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="monitoring.tracing.forget_request_id")
def _forget_request_id_after_response(**kwargs) -> None:
    set_request_id(None)


def outgoing_http_hook(request) -> None:
    """An httpx request event hook: the outgoing call carries the id of whatever caused it."""
    request_id = current_request_id()
    if request_id:
        request.headers[HEADER] = request_id


# --- Celery: the publisher adds a message header, the worker restores it around the task ------------


@before_task_publish.connect(weak=False)
def _add_request_id_header(headers=None, **kwargs) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _task_request_id(task) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    value = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return value if isinstance(value, str) and _VALID.fullmatch(value) else None


def _is_eager(task) -> bool:
    # An eager task runs inside its caller, whose id is already the current one.
    return bool(getattr(getattr(task, "request", None), "is_eager", False))


@task_prerun.connect(weak=False)
def _restore_request_id(task=None, **kwargs) -> None:
    if not _is_eager(task):
        set_request_id(_task_request_id(task))


@task_postrun.connect(weak=False)
def _forget_request_id(task=None, **kwargs) -> None:
    if not _is_eager(task):
        set_request_id(None)
