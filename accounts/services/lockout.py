"""Locking an account after repeated failed logins, for a period that doubles with each lock in a row.

The per-minute rate limit (login.py) slows guessing down; the lock stops it:
after LOGIN_LOCKOUT_FAILURES failures in a row the username is refused, even
with the right password, for LOGIN_LOCKOUT_FIRST_SECONDS, then twice as long
at each further lock, at most LOGIN_LOCKOUT_MAX_SECONDS. A successful login
clears the record; an admin can clear it at once (the admin's Unlock action).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from core import clock, events
from core.clock import IST

from ..errors import AccountLocked
from ..events import AccountLocked as AccountLockedEvent
from ..keys import address_or_none
from ..models import LoginLockout, User

security_log = logging.getLogger("security")


def _key(username: str) -> str:
    return username.strip().lower()[:150]


def lock_duration(lockouts: int) -> timedelta:
    """1st lock: the first period; each further one in a row twice the last, capped."""
    seconds = settings.LOGIN_LOCKOUT_FIRST_SECONDS * 2 ** min(max(lockouts - 1, 0), 30)
    return timedelta(seconds=min(seconds, settings.LOGIN_LOCKOUT_MAX_SECONDS))


def lockout_check(*, username: str) -> None:
    """Raises `AccountLocked` (429, Retry-After) while the username is locked."""
    locked_until = LoginLockout.objects.filter(username=_key(username)).values_list("locked_until", flat=True).first()
    now = clock.now()
    if locked_until is not None and locked_until > now:
        raise _locked_error(locked_until, now)


def _locked_error(locked_until: datetime, now: datetime) -> AccountLocked:
    until = locked_until.astimezone(IST).strftime("%H:%M:%S IST")
    message = f"Too many failed logins: this account is locked until {until}."
    return AccountLocked(message, retry_after=(locked_until - now).total_seconds() + 1)


def login_failure_record(*, username: str, ip: str) -> None:
    """Count a failed login; the one that reaches the limit locks the account and is announced."""
    locked = _count_failure(key=_key(username), ip=ip)
    if locked is not None:
        _announce(locked, ip=ip)


@transaction.atomic
def _count_failure(*, key: str, ip: str) -> LoginLockout | None:
    LoginLockout.objects.get_or_create(username=key)
    row = LoginLockout.objects.select_for_update().get(username=key)  # concurrent failures count one by one
    now = clock.now()
    row.failures += 1
    row.last_failure_at, row.last_failure_ip = now, address_or_none(ip)
    reached = row.failures >= settings.LOGIN_LOCKOUT_FAILURES
    if reached:
        row.lockouts += 1
        row.failures = 0
        row.locked_until = now + lock_duration(row.lockouts)
    row.save(update_fields=["failures", "lockouts", "locked_until", "last_failure_at", "last_failure_ip"])
    return row if reached else None


def _announce(row: LoginLockout, *, ip: str) -> None:
    account_id = User.objects.filter(username__iexact=row.username).values_list("id", flat=True).first()
    security_log.warning(
        "event=security.account_locked username=%s ip=%s lockouts=%s locked_until=%s",
        row.username, ip, row.lockouts, row.locked_until.isoformat(),
    )  # fmt: skip
    event = AccountLockedEvent(
        account_id=account_id, username=row.username, locked_until=row.locked_until, lockouts=row.lockouts, ip=ip
    )
    events.publish(event)


def login_success_record(*, username: str) -> None:
    """A right password (outside a lock) clears the record: the next lock starts from the first period."""
    LoginLockout.objects.filter(username=_key(username)).exclude(failures=0, lockouts=0).update(
        failures=0, lockouts=0, locked_until=None
    )


def lockout_clear(*, usernames) -> int:
    """The admin's Unlock: the named accounts may log in at once."""
    keys = [_key(name) for name in usernames]
    return LoginLockout.objects.filter(username__in=keys).update(failures=0, lockouts=0, locked_until=None)
