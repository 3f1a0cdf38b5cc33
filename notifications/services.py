"""Trader notifications: the dashboard's notices, which events a trader hears about on each trading account
and where, and the event handlers that queue the messages.

Notifications imports no app that publishes these events (orders, risk, strategies, brokers): it subscribes
to them by name. The operator alerts' messages come the same way, from monitoring's AlertNotice.
"""

import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Q

from accounts.models import TradingAccount
from accounts.selectors import account_get_for_user, account_owner_id
from core import clock, crypto
from core.cache import TimedCache
from core.errors import RuleViolation
from core.events import Event, subscribe
from monitoring.events import AlertNotice

from .deliveries import WebhookRefused, deliveries_queue, webhook_addresses
from .models import Delivery, Notification, NotificationPreference
from .stream_log import stream_publish

logger = logging.getLogger(__name__)

# Preference key -> the event names it covers (strategies.run_failed: published by live strategy runs).
EVENTS: dict[str, tuple[str, ...]] = {
    "fills": ("orders.filled",),
    "rejections": ("orders.broker_rejected",),
    "daily_loss_limit": ("risk.daily_loss_limit",),
    "kill_switch": ("risk.kill_switch",),
    "strategy_failed": ("strategies.run_failed",),
    "broker_session_expired": ("brokers.session_expired",),
    "risk_limits": ("risk.limits_changed",),
}
EVENT_LABELS = {
    "fills": "Fills",
    "rejections": "Rejections by the broker (also after it accepted the order)",
    "daily_loss_limit": "Daily loss limit reached",
    "kill_switch": "Kill switch",
    "strategy_failed": "Strategy run stopped by an error",
    "broker_session_expired": "Broker session expired",
    "risk_limits": "Risk limits changed by an administrator",
}
# Security notices reach the owner whatever they chose to hear about (event name -> subject): on every channel
# they set up, or by email to the account's address when they set up none.
# Told to the trader's stream as it happens, whatever they chose to hear about (the top bar shows it).
TRADING_STATE_CHANGED = "risk.state_changed"
SECURITY_NOTICES = {"security.account_locked": "Logins to your account are locked"}
CHANNELS = [c.value for c in Delivery.Channel]
_KEY_OF = {name: key for key, names in EVENTS.items() for name in names}
# Every fill reads its account's preferences; they change rarely, and a change (or a deactivated user, or
# another default account) reaches every worker within these seconds (at once in the process that saved it).
_preferences = TimedCache(ttl=10.0)


# --- the dashboard's notices -----------------------------------------------------------------


def notification_create(
    *,
    user_id: int,
    code: str,
    message: str,
    level: str = Notification.Level.INFO,
    account_id: int | None = None,
    order_id: int | None = None,
) -> Notification:
    """A notice on the trader's dashboard (and their live stream); `account_id` None: about the user, shown
    whichever account is chosen."""
    notice = Notification.objects.create(
        user_id=user_id, account_id=account_id, code=code, message=message[:400], level=level, order_id=order_id
    )
    stream_publish(user_id=user_id, topic="notices", data=notice_payload(notice))
    return notice


def notice_payload(notice: Notification) -> dict:
    """A notice in the names the API lists it with (and the account it is about)."""
    return {
        "id": notice.id,
        "account": notice.account_id,
        "level": notice.level,
        "code": notice.code,
        "message": notice.message,
        "order": notice.order_id,
        "created_at": notice.created_at.isoformat(),
    }


def notifications_unread_for(*, user, account: TradingAccount | None):
    """The unread notices of the chosen account and the user's own (no account), newest first."""
    return Notification.objects.filter(Q(account=None) | Q(account=account), user=user, read_at=None)


def notifications_mark_read(*, user, account: TradingAccount | None, notification_ids: list[int] | None = None) -> int:
    """Dismiss some (or all) of the unread notices the chosen account shows; returns how many."""
    unread = notifications_unread_for(user=user, account=account)
    if notification_ids is not None:
        unread = unread.filter(id__in=notification_ids)
    return unread.update(read_at=clock.now())


def subscribe_events() -> None:
    for name in _KEY_OF:
        subscribe(name, on_event)
    for name in SECURITY_NOTICES:
        subscribe(name, on_security_notice)
    subscribe(AlertNotice.name, on_alert_notice)
    subscribe(TRADING_STATE_CHANGED, on_trading_state_changed)


def on_trading_state_changed(event: Event) -> None:
    """An account became HALTED or REDUCING, or ACTIVE again: its owner's stream says so at once, on `notices`
    (the dashboard's top bar redraws; a notice row and a message come from the kill switch's or the loss
    limit's own event, as the trader chose)."""
    user_id = account_owner_id(event.account_id) if event.account_id else None
    if user_id is None:
        return
    state = event.to_state
    data = {
        "id": None,
        "account": event.account_id,
        "level": Notification.Level.INFO if state == "ACTIVE" else Notification.Level.WARNING,
        "code": "trading_state",
        "message": event.reason or f"Trading is {state}.",
        "order": None,
        "created_at": event.at.isoformat(),
        "trading_state": state,
    }
    stream_publish(user_id=user_id, topic="notices", data=data)


def on_alert_notice(notice: AlertNotice) -> None:
    """An operator alert's message, to the rule's addresses (not a trader's: no preferences apply)."""
    targets = [(Delivery.Channel.EMAIL, address) for address in notice.emails]
    if notice.webhook_url:
        targets.append((Delivery.Channel.WEBHOOK, notice.webhook_url))
    event = f"alert.{notice.details['state'].replace(' ', '_')}"
    deliveries_queue(targets, event=event, subject=notice.subject, payload=notice.details, alert_id=notice.alert_id)


# --- the event handler -----------------------------------------------------------------------


def on_event(event: Event) -> None:
    key = _KEY_OF.get(event.name)
    if key is None:
        return
    payload = _plain(event)
    subject = f"{EVENT_LABELS[key]}: {_summary(event)}"
    for pref, targets in _preferences_for(event, key):
        deliveries_queue(
            targets, event=event.name, subject=subject, payload=payload, user=pref.user, account_id=pref.account_id
        )


def _plain(event: Event) -> dict:
    payload = {k: str(v) if v is not None else None for k, v in event.payload().items()}
    payload["at"] = event.at.isoformat()
    return payload


def on_security_notice(event: Event) -> None:
    user_id = getattr(event, "user_id", None)
    if user_id is None:
        return  # nobody to tell (a username nobody has)
    prefs = _preferences_of(user_id, None)  # a user's own event: their default account's preferences
    pref = prefs[0] if prefs else None
    user = pref.user if pref is not None else get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        return
    targets = _targets(pref) if pref is not None else []
    if not targets and user.email:
        targets = [(Delivery.Channel.EMAIL, user.email)]
    subject = f"{SECURITY_NOTICES[event.name]}: {_summary(event)}"
    account_id = pref.account_id if pref is not None else None
    deliveries_queue(
        targets, event=event.name, subject=subject, payload=_plain(event), user=user, account_id=account_id
    )


def _preferences_for(event: Event, key: str) -> list[tuple[NotificationPreference, list[tuple[str, str]]]]:
    """The preferences that hear of the event, with their targets: the event's account's (the user's default
    account's for an event about the user), or, for a platform-wide event, every account's that chose it."""
    user_id = getattr(event, "user_id", None)
    if user_id is None and event.account_id is not None:
        user_id = _owner_of(event.account_id)
    if user_id is not None:
        prefs = [p for p in _preferences_of(user_id, event.account_id) if p.channels]
    elif getattr(event, "platform", False):
        prefs = _with_channels()
    else:
        return []  # nobody to tell (an account without an owner); only platform-wide events go to everyone
    chosen, seen = [], set()
    for pref in prefs:
        if key not in pref.events or not pref.user.is_active:
            continue
        # A platform-wide event reaches each place once, however many of the user's accounts chose it.
        targets = [t for t in _targets(pref) if (pref.user_id, *t) not in seen]
        seen.update((pref.user_id, *t) for t in targets)
        chosen.append((pref, targets))
    return chosen


def _owner_of(account_id: int) -> int | None:
    return TradingAccount.objects.filter(id=account_id).values_list("user_id", flat=True).first()


def _preferences_of(user_id: int, account_id: int | None) -> list[NotificationPreference]:
    """The preferences of the user's account (no row, or one), remembered: a fill reads them for the dashboard's
    notice in its transaction and again for the other channels after it commits. `account_id` None: the user's
    default account (the row without an account while they have none)."""
    return _preferences.get_or_set((user_id, account_id), lambda: _preferences_read(user_id, account_id))


def _preferences_read(user_id: int, account_id: int | None) -> list[NotificationPreference]:
    if account_id is None:
        account_id = _default_account_id(user_id)
    rows = NotificationPreference.objects.select_related("user").filter(user_id=user_id, account_id=account_id)
    return list(rows)


def _default_account_id(user_id: int) -> int | None:
    accounts = TradingAccount.objects.filter(user_id=user_id, is_default=True)
    return accounts.values_list("id", flat=True).first()


def _with_channels():
    return NotificationPreference.objects.select_related("user").exclude(channels=[])


def preferences_cache_clear() -> None:
    _preferences.clear()


def in_app_fills_wanted(user_id: int, account_id: int | None) -> bool:
    """Whether a fill on the account should leave a notice on the trader's dashboard: yes unless they turned it
    off for that account (an account whose preferences were never saved has no row, and hears of fills)."""
    prefs = _preferences_of(user_id, account_id)
    return not prefs or prefs[0].in_app_fills


def _summary(event: Event) -> str:
    data = event.payload()
    for field in ("message", "reason", "error"):
        if data.get(field):
            return str(data[field])[:150]
    if "order_id" in data:
        return f"order #{data['order_id']}"
    return event.name


def _targets(pref: NotificationPreference) -> list[tuple[str, str]]:
    where = {
        Delivery.Channel.EMAIL: pref.email or pref.user.email,
        Delivery.Channel.WEBHOOK: pref.webhook_url,
        Delivery.Channel.TELEGRAM: pref.telegram_chat_id,
    }
    return [(channel, where[channel]) for channel in pref.channels if where.get(channel)]


# --- preferences -----------------------------------------------------------------------------


def preferences_get(*, user, account: TradingAccount | None = None) -> NotificationPreference:
    """The preferences of one of the user's accounts (None: the default one; the user's own row while they
    have no account). The caller has checked that the account is the user's (accounts.chosen)."""
    if account is None:
        account_id = _default_account_id(user.pk)
    else:
        account_id = account_get_for_user(user=user, account_id=account.pk).pk  # someone else's: a 404
    pref, _ = NotificationPreference.objects.get_or_create(user=user, account_id=account_id)
    return pref


def preferences_update(
    *,
    user,
    account: TradingAccount | None = None,
    events: list[str],
    channels: list[str],
    email: str = "",
    webhook_url: str = "",
    telegram_chat_id: str = "",
    new_webhook_secret: bool = False,
    in_app_fills: bool = True,
) -> tuple[NotificationPreference, str | None]:
    """Save the choices; returns the preferences and a new webhook secret (shown once) when one was made."""
    _check(user=user, events=events, channels=channels, addresses=(email, webhook_url, telegram_chat_id))
    pref = preferences_get(user=user, account=account)
    if webhook_url and webhook_url != pref.webhook_url:
        _check_webhook_reachable(webhook_url)
    pref.events, pref.channels = sorted(set(events)), sorted(set(channels))
    pref.email, pref.webhook_url, pref.telegram_chat_id = email, webhook_url, telegram_chat_id
    pref.in_app_fills = in_app_fills
    secret = None
    if webhook_url and (new_webhook_secret or not pref.webhook_secret):
        secret = secrets.token_urlsafe(32)
        pref.webhook_secret = crypto.encrypt(secret)
    pref.save()
    _preferences.discard((user.pk, pref.account_id))
    _preferences.discard((user.pk, None))
    return pref, secret


def _check(*, user, events, channels, addresses: tuple[str, str, str]) -> None:
    email, webhook_url, telegram_chat_id = addresses
    fields = {}
    if unknown := set(events) - set(EVENTS):
        fields["events"] = [f"Unknown events: {', '.join(sorted(unknown))}. Choose from {', '.join(EVENTS)}."]
    if unknown := set(channels) - set(CHANNELS):
        fields["channels"] = [f"Unknown channels: {', '.join(sorted(unknown))}. Choose from {', '.join(CHANNELS)}."]
    if "webhook" in channels and not webhook_url:
        fields["webhook_url"] = ["Needed for the webhook channel."]
    if "telegram" in channels and not telegram_chat_id:
        fields["telegram_chat_id"] = ["Needed for the Telegram channel."]
    if "email" in channels and not (email or user.email):
        fields["email"] = ["Needed for the email channel (your account has no address)."]
    fields.update(_address_errors(email=email, webhook_url=webhook_url))
    if fields:
        raise RuleViolation("Some notification settings cannot be used.", code="invalid_preferences", fields=fields)


def _check_webhook_reachable(url: str) -> None:
    """Refuse, when it is saved, a webhook that every delivery would refuse (a private or local address, or a
    host that does not resolve): the trader hears why at once, not six failed retries later."""
    if settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        webhook_addresses(url)
    except WebhookRefused as exc:
        reason = f"Notifications cannot be sent there: {exc.args[0]}; use a public http(s) address."
        raise RuleViolation(reason, code="webhook_url_refused", fields={"webhook_url": [reason]}) from None


def _address_errors(*, email: str, webhook_url: str) -> dict[str, list[str]]:
    checks = {"email": (email, validate_email), "webhook_url": (webhook_url, URLValidator(schemes=["http", "https"]))}
    errors = {}
    for field, (value, validate) in checks.items():
        try:
            if value:
                validate(value)
        except ValidationError:
            errors[field] = ["Not an address that can be delivered to."]
    return errors


def notification_test_send(*, user, account: TradingAccount | None = None) -> int:
    """One test message on every channel the account's preferences chose; returns how many were queued."""
    pref = preferences_get(user=user, account=account)
    payload = {"message": "This is a test notification from the trading platform."}
    queued = deliveries_queue(
        _targets(pref),
        event="test",
        subject="Test notification",
        payload=payload,
        user=user,
        account_id=pref.account_id,
    )
    return len(queued)
