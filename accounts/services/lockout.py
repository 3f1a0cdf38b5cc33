"""Login limits: how often a password may be tried, and when an account is locked.

A stranger's failures must not stop the owner, so the limits are drawn around where
the attempts come from (docs/security.md, "Login limits and lockout"):

- Every attempt counts before the password is checked (django-ratelimit, the shared
  cache): LOGIN_ADDRESS_RATE_LIMIT per address whatever the username, and
  LOGIN_RATE_LIMIT per username from one address. Over either: 429
  `too_many_login_attempts`.
- Wrong passwords slow down the address they come from: after LOGIN_FAILURE_RATE_LIMIT
  failures for a username from one address, that address waits for the window to end
  (429 `too_many_login_attempts`), the right password included. Other addresses, the
  owner's, are not affected.
- The lock is kept for the pattern it is for, guessing spread over many addresses:
  LOGIN_LOCKOUT_FAILURES failures since the last success, from at least
  LOGIN_LOCKOUT_ADDRESSES addresses, lock the username for everyone (429
  `account_locked`, even with the right password) for LOGIN_LOCKOUT_FIRST_SECONDS,
  twice as long at each further lock in a row, at most LOGIN_LOCKOUT_MAX_SECONDS. The
  lock is logged and announced (the owner is notified, the security log records it);
  the admin sees the addresses and may unlock at once. A success clears the record.

An address is an IPv4 address or an IPv6 /64 (keys.address_group): one network, one address.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from core import clock, events
from core.clock import IST

from ..errors import AccountLocked, TooManyLoginAttempts
from ..events import AccountLocked as AccountLockedEvent
from ..keys import address_group, address_or_none
from ..models import LoginLockout, User

security_log = logging.getLogger("security")
ADDRESSES_KEPT = 50  # per username and streak: enough to tell the pattern, bounded whatever an attacker does
ADDRESSES_SHOWN = 10


def _key(username: str) -> str:
    return username.strip().lower()[:150]


def lock_duration(lockouts: int) -> timedelta:
    """1st lock: the first period; each further one in a row twice the last, capped."""
    seconds = settings.LOGIN_LOCKOUT_FIRST_SECONDS * 2 ** min(max(lockouts - 1, 0), 30)
    return timedelta(seconds=min(seconds, settings.LOGIN_LOCKOUT_MAX_SECONDS))


# --- Before the password is checked ---------------------------------------------------------------


def login_attempt_admit(*, request: HttpRequest, username: str, ip: str) -> None:
    """Count the attempt and refuse it when a limit says so (TooManyLoginAttempts, AccountLocked: 429)."""
    address = address_group(ip)
    pair = f"{_key(username)} {address}"
    _limit(request, group="login-address", value=address, rate=settings.LOGIN_ADDRESS_RATE_LIMIT)
    _limit(request, group="login-user-address", value=pair, rate=settings.LOGIN_RATE_LIMIT)
    _limit(request, group="login-failures", value=pair, rate=settings.LOGIN_FAILURE_RATE_LIMIT, count=False)
    lockout_check(username=username)


def _limit(request: HttpRequest, *, group: str, value: str, rate: str, count: bool = True) -> None:
    """Over `rate` raises. `count`: this attempt counts (atomic add/incr, so concurrent ones cannot all slip
    in); otherwise the count so far is only read (failures are counted when they happen)."""
    usage = get_usage(request, group=group, key=lambda _group, _request: value, rate=rate, increment=count)
    if usage is None:
        return
    over = usage["should_limit"] if count else usage["count"] >= usage["limit"]
    if over:
        wait = max(1, usage["time_left"])
        raise TooManyLoginAttempts(f"Too many login attempts; try again in {_duration(wait)}.", retry_after=wait)


def _duration(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def lockout_check(*, username: str) -> None:
    """Raises `AccountLocked` (429, Retry-After) while the username is locked."""
    locked_until = LoginLockout.objects.filter(username=_key(username)).values_list("locked_until", flat=True).first()
    now = clock.now()
    if locked_until is not None and locked_until > now:
        raise _locked_error(locked_until, now)


def lockout_locked_usernames(*, usernames) -> set[str]:
    """Which of `usernames` are locked now (as given), in one query."""
    keys = {_key(name): name for name in usernames}
    rows = LoginLockout.objects.filter(username__in=list(keys), locked_until__gt=clock.now())
    return {keys[key] for key in rows.values_list("username", flat=True)}


def _locked_error(locked_until: datetime, now: datetime) -> AccountLocked:
    until = locked_until.astimezone(IST).strftime("%H:%M:%S IST")
    message = f"Too many failed logins: this account is locked until {until}."
    return AccountLocked(message, retry_after=(locked_until - now).total_seconds() + 1)


# --- After it --------------------------------------------------------------------------------------


def login_failure_record(*, request: HttpRequest, username: str, ip: str) -> None:
    """Count a failed login for its address and its username; the one that completes the pattern locks."""
    address = address_group(ip)
    get_usage(
        request,
        group="login-failures",
        key=lambda _group, _request: f"{_key(username)} {address}",
        rate=settings.LOGIN_FAILURE_RATE_LIMIT,
        increment=True,
    )
    locked, addresses = _count_failure(key=_key(username), address=address, ip=ip)
    if locked is not None:
        _announce(locked, ip=ip, addresses=addresses)


@transaction.atomic
def _count_failure(*, key: str, address: str, ip: str) -> tuple[LoginLockout | None, int]:
    """The row and the number of addresses it was locked for when this failure locked it; else (None, 0)."""
    LoginLockout.objects.get_or_create(username=key)
    row = LoginLockout.objects.select_for_update().get(username=key)  # concurrent failures count one by one
    now = clock.now()
    row.failures += 1
    if address in row.addresses or len(row.addresses) < ADDRESSES_KEPT:
        row.addresses[address] = row.addresses.get(address, 0) + 1
    row.last_failure_at, row.last_failure_ip = now, address_or_none(ip)
    addresses = len(row.addresses)
    reached = row.failures >= settings.LOGIN_LOCKOUT_FAILURES and addresses >= settings.LOGIN_LOCKOUT_ADDRESSES
    if reached:
        row.lockouts += 1
        row.locked_until = now + lock_duration(row.lockouts)
        row.lock_reason = _reason(row)
        row.failures, row.addresses = 0, {}  # the next lock needs a pattern of its own
    fields = ["failures", "addresses", "lockouts", "locked_until", "lock_reason", "last_failure_at", "last_failure_ip"]
    row.save(update_fields=fields)
    return (row, addresses) if reached else (None, 0)


def _reason(row: LoginLockout) -> str:
    """What the admin and the owner read: how many failures, from how many addresses, the busiest first."""
    busiest = sorted(row.addresses.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{address} ({count})" for address, count in busiest[:ADDRESSES_SHOWN])
    more = f" and {len(busiest) - ADDRESSES_SHOWN} more" if len(busiest) > ADDRESSES_SHOWN else ""
    return f"{row.failures} failed logins from {len(busiest)} addresses: {shown}{more}"[:500]


def _announce(row: LoginLockout, *, ip: str, addresses: int) -> None:
    user_id = User.objects.filter(username__iexact=row.username).values_list("id", flat=True).first()
    security_log.warning(
        "event=security.account_locked username=%s ip=%s lockouts=%s locked_until=%s reason=%r",
        row.username,
        ip,
        row.lockouts,
        row.locked_until.isoformat(),
        row.lock_reason,
    )
    event = AccountLockedEvent(
        user_id=user_id,
        username=row.username,
        locked_until=row.locked_until,
        lockouts=row.lockouts,
        ip=ip,
        addresses=addresses,
        reason=row.lock_reason,
    )
    events.publish(event)


def login_success_record(*, username: str) -> None:
    """A right password (outside a lock) clears the record: the next lock starts from the first period."""
    LoginLockout.objects.filter(username=_key(username)).exclude(failures=0, lockouts=0).update(
        failures=0, addresses={}, lockouts=0, locked_until=None
    )


def lockout_clear(*, usernames) -> int:
    """The admin's Unlock: the named accounts may log in at once."""
    keys = [_key(name) for name in usernames]
    return LoginLockout.objects.filter(username__in=keys).update(
        failures=0, addresses={}, lockouts=0, locked_until=None
    )
