"""Where a dashboard page opens the live stream (docs/api.md#the-live-stream), and from which event on.

The page's script (static/js/stream.js) reads these from `<body>`: the socket's address, the chosen trading
account (its private topics) and the user's last event number when the page was drawn, so that what changes
between the render and the socket's first message is replayed (`resume_from`), not lost.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.chosen import request_account
from notifications.stream_log import stream_heads

STREAM_PATH = "/ws/v1/stream/"


def _hostname(host: str) -> str:
    """The host without its port: 'example.com:8000' -> 'example.com', '[::1]:8000' -> '[::1]'."""
    if host.endswith("]"):
        return host
    return host.rsplit(":", 1)[0] if ":" in host else host


def stream_url(request) -> str:
    """STREAM_URL when set; else this page's host on STREAM_PORT (`make run`); else the page's own origin."""
    if settings.STREAM_URL:
        return settings.STREAM_URL
    scheme = "wss" if request.is_secure() else "ws"
    host = request.get_host()
    if settings.STREAM_PORT:
        return f"{scheme}://{_hostname(host)}:{settings.STREAM_PORT}{STREAM_PATH}"
    return f"{scheme}://{host}{STREAM_PATH}"


def stream_origin(request) -> str:
    """The socket's origin, for the page's `connect-src`."""
    url = stream_url(request)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass(frozen=True)
class PageStream:
    url: str
    account_id: int | None
    seq: int  # the user's last event number at render: the socket resumes after it


def page_stream(request) -> PageStream:
    account = request_account(request)
    seq = stream_heads([request.user.pk]).get(request.user.pk, 0)
    return PageStream(stream_url(request), account.id if account else None, seq)


def live_stream(request) -> dict:
    """Context processor: `live_stream` for base.html's `<body>` (read only when a full page is drawn)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"live_stream": SimpleLazyObject(lambda: page_stream(request))}
