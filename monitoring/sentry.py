"""Errors (and sampled traces) to Sentry, or any server speaking its protocol, when SENTRY_DSN is set.

Called from settings, so that it runs in every process (web, worker, beat,
feed) before anything can fail. What leaves the machine is scrubbed: no
Authorization or Cookie headers, no cookies, no field that looks like a secret
(the SDK's list plus ours: PINs, TOTP codes, broker tokens and keys), and no
personal data (send_default_pii off). Every event carries the request id, so an
error in Sentry leads straight to its log lines.
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

from .tracing import current_request_id

# Headers dropped from every event's request (compared lower-case, dashes and underscores alike).
SECRET_HEADERS = {"authorization", "proxy_authorization", "cookie", "set_cookie", "x_api_key", "x_privatekey"}
# Field names whose values are replaced wherever they appear (request bodies, locals, extra data).
SECRET_FIELDS = [
    "pin",
    "totp",
    "otp",
    "jwt",
    "jwttoken",
    "refresh",
    "refreshtoken",
    "refresh_token",
    "access",
    "feedtoken",
    "feed_token",
    "secret_key",
    "field_encryption_key",
    "client_secret",
    "private_key",
    "x-privatekey",
]


def _normalised(header: str) -> str:
    return header.lower().replace("-", "_")


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """before_send: drop secret headers and cookies, tag the request id."""
    request = event.get("request") or {}
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: v for k, v in headers.items() if _normalised(k) not in SECRET_HEADERS}
    request.pop("cookies", None)
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        event_scrubber=EventScrubber(denylist=[*DEFAULT_DENYLIST, *SECRET_FIELDS], recursive=True),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
