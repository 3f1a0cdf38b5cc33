"""Sending one Delivery by email, signed webhook or Telegram. Queued after commit, sent by a Celery task
(retried with backoff); the code that publishes an event never waits for, nor fails with, a delivery."""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import httpx
from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from accounts.models import TradingAccount
from core import clock, crypto

from .models import Delivery, NotificationPreference

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    pass


class WebhookRefused(DeliveryFailed):
    """A trader's webhook host that must not be reached (private, local, or no address): final, never retried."""


def deliveries_queue(
    targets, *, event: str, subject: str, payload: dict, user=None, account_id=None, alert_id=None
) -> list[int]:
    """One Delivery row per (channel, target); each is sent by its own task once the transaction commits.
    `account_id`: the trading account whose preferences chose the targets (its webhook secret signs)."""
    rows = Delivery.objects.bulk_create(
        Delivery(
            channel=channel,
            target=target,
            event=event,
            subject=subject[:200],
            payload=payload,
            user=user,
            account_id=account_id,
            alert_id=alert_id,
        )
        for channel, target in targets
    )
    ids = [row.id for row in rows]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(ids: list[int]) -> None:
    # By name: notifications.tasks calls this module (NotificationsConfig.ready imports it, registering the task).
    deliver = current_app.tasks["monitoring.deliver"]
    for delivery_id in ids:
        try:
            deliver.delay(delivery_id)
        except Exception:  # the queue is away: the row stays pending, visible in the admin
            logger.exception("could not queue delivery %s", delivery_id)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_send(*, delivery_id: int, final: bool) -> str:
    """Send once. A failure is recorded; it raises DeliveryFailed (to be retried) unless this was the last try."""
    delivery = Delivery.objects.select_related("user").get(id=delivery_id)
    if delivery.status != Delivery.Status.PENDING:
        return delivery.status  # a redelivered task does nothing twice
    try:
        SENDERS[delivery.channel](delivery)
    except Exception as exc:
        error = exc.args[0] if isinstance(exc, DeliveryFailed) else type(exc).__name__
        final = final or isinstance(exc, WebhookRefused)  # retrying cannot make the address public
        status = Delivery.Status.FAILED if final else Delivery.Status.PENDING
        _record(delivery, status=status, last_error=str(error)[:300])
        logger.warning("delivery %s (%s) failed: %s", delivery.id, delivery.channel, error)
        if final:
            return status
        raise DeliveryFailed(error) from None
    _record(delivery, status=Delivery.Status.SENT, last_error="", sent_at=clock.now())
    return Delivery.Status.SENT


def _record(delivery: Delivery, **fields) -> None:
    Delivery.objects.filter(id=delivery.id, status=Delivery.Status.PENDING).update(
        attempts=delivery.attempts + 1, **fields
    )


def _text(delivery: Delivery) -> str:
    lines = [delivery.subject, ""]
    lines += [f"{key}: {value}" for key, value in delivery.payload.items() if value not in (None, "")]
    return "\n".join(lines)


def send_email(delivery: Delivery) -> None:
    send_mail(delivery.subject, _text(delivery), settings.DEFAULT_FROM_EMAIL, [delivery.target], fail_silently=False)


def send_webhook(delivery: Delivery) -> None:
    body = json.dumps({"event": delivery.event, "subject": delivery.subject, "data": delivery.payload}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "trading-platform-notifications"}
    secret = _webhook_secret(delivery)
    if secret:
        headers["X-Signature"] = signature(secret, body)
    if delivery.user_id is not None and not settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE:
        _post_pinned(delivery.target, content=body, headers=headers)  # a trader's URL: never into our network
    else:
        _post(delivery.target, content=body, headers=headers)


def webhook_addresses(url: str) -> list[str]:
    """The addresses a trader's webhook host resolves to, every one of them public; else WebhookRefused."""
    host = urlsplit(url).hostname or ""
    try:
        answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookRefused("the webhook host does not resolve") from None
    addresses = list(dict.fromkeys(answer[4][0].split("%")[0] for answer in answers))
    if not addresses or not all(_public(ipaddress.ip_address(address)) for address in addresses):
        raise WebhookRefused("the webhook host is a private or local address")
    return addresses


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global


def _post_pinned(url: str, **kwargs) -> None:
    """POST to the address that was checked, not to whatever a second lookup of the name answers (a name
    that rebinds to an internal address in between). The name still goes as the Host header and as the
    TLS server name, so virtual hosts and certificate checks work as with the name itself."""
    target = httpx.URL(url)
    pinned = target.copy_with(host=webhook_addresses(url)[0])
    headers = {**kwargs.pop("headers", {}), "Host": target.netloc.decode("ascii")}
    _post(pinned, headers=headers, extensions={"sni_hostname": target.raw_host.decode("ascii")}, **kwargs)


def _webhook_secret(delivery: Delivery) -> str:
    if delivery.user_id is None:
        return settings.ALERT_WEBHOOK_SECRET
    return webhook_secret_for(delivery.user_id, delivery.account_id)


def send_telegram(delivery: Delivery) -> None:
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise DeliveryFailed("TELEGRAM_BOT_TOKEN is not set")
    url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{token}/sendMessage"
    _post(url, json={"chat_id": delivery.target, "text": _text(delivery)})


def _post(url: str | httpx.URL, *, extensions: dict | None = None, **kwargs) -> None:
    """POST and insist on a 2xx; errors name neither the URL nor the body (the bot token is in the URL).
    Redirects are not followed (httpx's default): a 3xx is a failure, never a hop to another address."""
    try:
        with httpx.Client(timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS) as client:
            response = client.post(url, extensions=extensions, **kwargs)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")


SENDERS = {
    Delivery.Channel.EMAIL: send_email,
    Delivery.Channel.WEBHOOK: send_webhook,
    Delivery.Channel.TELEGRAM: send_telegram,
}


# --- the per-account webhook secret (encrypted at rest with FIELD_ENCRYPTION_KEY) ----------------


def webhook_secret_for(user_id: int, account_id: int | None = None) -> str:
    """The secret of the account's preferences (None: the user's default account's, else their own row's)."""
    rows = NotificationPreference.objects.filter(user_id=user_id)
    if account_id is None:
        default = TradingAccount.objects.filter(user_id=user_id, is_default=True).values_list("id", flat=True)
        rows = rows.filter(account_id=default.first())
    else:
        rows = rows.filter(account_id=account_id)
    token = rows.values_list("webhook_secret", flat=True).first()
    if not token:
        return ""
    try:
        return crypto.decrypt(token)
    except crypto.DecryptionFailed:
        logger.error("the webhook secret of user %s cannot be decrypted with FIELD_ENCRYPTION_KEY", user_id)
        return ""
