"""API keys: creating and revoking them, and checking one on every request that sends it."""

from collections.abc import Iterable
from datetime import timedelta

from auditlog.context import set_actor
from django.conf import settings
from django.db import IntegrityError, transaction
from rest_framework.permissions import SAFE_METHODS

from core import clock
from core.api import OwnerAction
from core.errors import InvalidInput, RuleViolation

from ..errors import (
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyIpNotAllowed,
    ApiKeyNotAllowed,
    ApiKeyRevoked,
    ApiKeyScope,
)
from ..keys import address_allowed, address_or_none, key_digest, key_generate, key_matches, key_prefix, network_parse
from ..models import ApiKey, SecurityEvent, TradingAccount, User
from ..selectors import api_key_get_for_user
from .security import security_event_record

# last_used_at/_ip are written at most this often per key: one UPDATE a minute, not one a request.
TOUCH_EVERY = timedelta(minutes=1)
MAX_ALLOWED_IPS = 20


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InvalidInput("Give the key a name of 1 to 64 characters.", code="invalid_name", field="name")
    return name


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = set(scopes or ())
    unknown = chosen - set(ApiKey.Scope.values)
    if unknown or not chosen:
        raise InvalidInput('Scopes are "read", "trade" and "account".', code="invalid_scope", field="scopes")
    chosen.add(ApiKey.Scope.READ)  # every key reads; `trade` and `account` add changes
    return sorted(chosen)


def _clean_networks(allowed_ips: Iterable[str]) -> list[str]:
    networks = []
    for text in allowed_ips or ():
        try:
            networks.append(network_parse(text))
        except ValueError:
            message = f"{text!r} is not an IP address or CIDR network (e.g. 203.0.113.7 or 203.0.113.0/24)."
            raise RuleViolation(message, code="invalid_ip", field="allowed_ips") from None
    if len(networks) > MAX_ALLOWED_IPS:
        raise RuleViolation(f"At most {MAX_ALLOWED_IPS} addresses.", code="invalid_ip", field="allowed_ips")
    return list(dict.fromkeys(networks))


def _check_room(user: User, name: str) -> None:
    active = ApiKey.objects.filter(user=user, revoked_at__isnull=True)
    if active.filter(name=name).exists():
        raise RuleViolation(f"You already have a key named {name!r}.", code="api_key_name_taken", field="name")
    if active.count() >= settings.API_KEYS_PER_USER:
        message = f"At most {settings.API_KEYS_PER_USER} keys: revoke one you no longer use."
        raise RuleViolation(message, code="api_key_limit")


@transaction.atomic
def api_key_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    live_allowed: bool = False,
    expires_in_days: int | None = None,
    allowed_ips: Iterable[str] = (),
    account: TradingAccount | None = None,
) -> tuple[ApiKey, str]:
    """A new key and the key itself, which is never stored and cannot be shown again.

    The key acts on `account` (the one it was made for), or on the owner's default account when None."""
    name, scopes, networks = _clean_name(name), _clean_scopes(scopes), _clean_networks(allowed_ips)
    User.objects.select_for_update().filter(pk=user.pk).first()  # one create at a time per user: the limit holds
    _check_room(user, name)
    prefix, raw_key = key_generate()
    expires_at = clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
    fields = dict(name=name, scopes=scopes, live_allowed=live_allowed, expires_at=expires_at, allowed_ips=networks)
    fields["account_ids"] = [account.pk] if account is not None and account.user_id == user.pk else []
    try:
        with transaction.atomic(), set_actor(user):
            key = ApiKey.objects.create(user=user, prefix=prefix, key_hash=key_digest(raw_key), **fields)
    except IntegrityError:  # the same name, created meanwhile through another process
        raise RuleViolation(
            f"You already have a key named {name!r}.", code="api_key_name_taken", field="name"
        ) from None
    security_event_record(kind=SecurityEvent.Kind.API_KEY_CREATED, user=user, detail=_key_detail(key))
    return key, raw_key


def _key_detail(key: ApiKey) -> dict:
    return {"key": key.prefix, "name": key.name, "scopes": key.scopes}


@transaction.atomic
def api_key_revoke(*, user: User, key_id: int) -> ApiKey:
    """Revoke one of the user's keys (someone else's is a 404). Revoking twice changes nothing."""
    key = api_key_get_for_user(user=user, key_id=key_id)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        with set_actor(user):
            key.save(update_fields=["revoked_at"])  # auditlog records who revoked it
        security_event_record(kind=SecurityEvent.Kind.API_KEY_REVOKED, user=user, detail=_key_detail(key))
    return key


def api_key_authenticate(*, raw_key: str, ip: str) -> ApiKey:
    """The key behind `raw_key` if it may be used now from `ip`; raises with the reason otherwise."""
    prefix = key_prefix(raw_key)
    key = ApiKey.objects.select_related("user").filter(prefix=prefix).first() if prefix else None
    if key is None or not key_matches(raw_key, key.key_hash) or not key.user.is_active:
        raise ApiKeyInvalid()
    now = clock.now()
    if key.revoked_at is not None:
        raise ApiKeyRevoked()
    if key.expires_at is not None and key.expires_at <= now:
        raise ApiKeyExpired()
    if not address_allowed(ip, key.allowed_ips):
        raise ApiKeyIpNotAllowed()
    _touch(key, ip=ip, now=now)
    return key


def _touch(key: ApiKey, *, ip: str, now) -> None:
    """Stamp the last use at most once a minute, and at once from an address other than the last one."""
    address = address_or_none(ip)
    new_address = address is not None and address != key.last_used_ip
    if not new_address and key.last_used_at is not None and now - key.last_used_at < TOUCH_EVERY:
        return
    # Conditional: of concurrent requests, one writes; the others match no row.
    rows = ApiKey.objects.filter(pk=key.pk)
    rows = rows.exclude(last_used_ip=address) if new_address else rows.exclude(last_used_at__gt=now - TOUCH_EVERY)
    if rows.update(last_used_at=now, last_used_ip=address):
        key.last_used_at, key.last_used_ip = now, address
        if new_address:
            detail = {**_key_detail(key), "address": address}
            security_event_record(kind=SecurityEvent.Kind.API_KEY_NEW_IP, user=key.user, detail=detail)


def api_key_authorize(*, key: ApiKey, method: str, owner_action: OwnerAction | None = None) -> None:
    """Whether the key may make a request with `method` to a view declaring `owner_action` (or none).

    Reading is always allowed. An owner action (core.api.OwnerAction) needs the scope its
    view names, and none names one for paper/live or API keys. Any other change (an unsafe
    method) needs the `trade` scope. Which accounts the key may act on, and that a paper-only
    key changes nothing on a live one, is checked where the request's account is chosen
    (accounts.chosen).
    """
    changes = method.upper() not in SAFE_METHODS
    if owner_action is not None and owner_action.applies_to(method):
        _authorize_owner_action(key, owner_action)
    elif changes and not key.can_trade:
        raise ApiKeyScope()


def _authorize_owner_action(key: ApiKey, action: OwnerAction) -> None:
    if action.key_scope is None:
        raise ApiKeyNotAllowed(f"An API key may not {action.what}: log in (JWT or the dashboard) to do that.")
    if action.key_scope not in key.scopes:
        raise ApiKeyScope(f"This API key needs the `{action.key_scope}` scope to {action.what}.")
