"""What turns into a security event without the acting code knowing: Django's auth and admin
signals, password changes, and the typed events other apps publish (subscribed by name, since
accounts imports none of them)."""

from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from core import events

from .models import SecurityEvent, TradingAccount, User
from .services.security import security_event_record

Kind = SecurityEvent.Kind


@receiver(user_logged_in, dispatch_uid="accounts.security.logged_in")
def _logged_in(sender, request=None, user=None, **kwargs) -> None:
    security_event_record(kind=Kind.LOGIN_SUCCEEDED, user=user, detail={"via": "session"})


@receiver(user_login_failed, dispatch_uid="accounts.security.login_failed")
def _login_failed(sender, credentials=None, request=None, **kwargs) -> None:
    # Only the username: Django has already masked the password in `credentials`; it is not kept at all.
    username = str((credentials or {}).get("username", ""))[:150]
    user = User.objects.filter(username=username).first() if username else None
    security_event_record(kind=Kind.LOGIN_FAILED, user=user, username=username)


@receiver(user_logged_out, dispatch_uid="accounts.security.logged_out")
def _logged_out(sender, request=None, user=None, **kwargs) -> None:
    security_event_record(kind=Kind.LOGOUT, user=user, detail={"via": "session"})


@receiver(pre_save, sender=User, dispatch_uid="accounts.security.password_changing")
def _password_changing(sender, instance: User, **kwargs) -> None:
    # set_password() keeps the new raw password in `_password` until save() has finished (a hash
    # upgrade at login clears it first). A first password on a new or password-less row is no change.
    instance._security_password_changed = False
    if instance.pk is not None and getattr(instance, "_password", None) is not None:
        old = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
        instance._security_password_changed = bool(old) and is_password_usable(old)


@receiver(post_save, sender=User, dispatch_uid="accounts.security.password_changed")
def _password_changed(sender, instance: User, created: bool, **kwargs) -> None:
    if not created and getattr(instance, "_security_password_changed", False):
        instance._security_password_changed = False
        security_event_record(kind=Kind.PASSWORD_CHANGED, user=instance)


@receiver(post_save, sender=LogEntry, dispatch_uid="accounts.security.admin_change")
def _admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if created:
        detail = {
            "action": {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, str(instance.action_flag)),
            "model": instance.content_type.model if instance.content_type_id else "",
            "object": instance.object_repr,
            "object_id": instance.object_id or "",
            "message": instance.get_change_message(),
        }
        security_event_record(kind=Kind.ADMIN_CHANGE, user=instance.user, detail=detail)


# --- Typed events from higher layers: name -> kind ------------------------------------------------

EVENT_KINDS = {
    "brokers.connected": Kind.BROKER_CONNECTED,
    "brokers.disconnected": Kind.BROKER_DISCONNECTED,
    "orders.account_mode_switched": Kind.MODE_SWITCHED,
    "risk.kill_switch": Kind.KILL_SWITCH,
    "security.account_locked": Kind.ACCOUNT_LOCKED,
    "monitoring.alert_acknowledged": Kind.ALERT_ACKNOWLEDGED,
}


def _user_of(event: events.Event) -> tuple[User | None, str]:
    """The user an event is about: by user_id, by username, or through its trading account."""
    user_id = getattr(event, "user_id", None)
    username = str(getattr(event, "username", "") or "")
    if user_id is None and event.account_id is not None:
        user_id = TradingAccount.objects.filter(pk=event.account_id).values_list("user_id", flat=True).first()
    if user_id is not None:
        return User.objects.filter(pk=user_id).first(), username
    return (User.objects.filter(username=username).first() if username else None), username


def on_domain_event(event: events.Event) -> None:
    kind = EVENT_KINDS.get(event.name)
    if kind is None:
        return
    user, username = _user_of(event)
    detail = {key: value for key, value in event.payload().items() if key not in ("user_id", "username")}
    security_event_record(kind=kind, user=user, username=username, detail=detail)


def subscribe_all() -> None:
    for name in EVENT_KINDS:
        events.subscribe(name, on_domain_event)
