"""What accounts tells the rest of the platform (security events, alerts and audit subscribe by name)."""

from dataclasses import dataclass
from datetime import datetime

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class AccountLocked(Event):
    """Failed logins from many addresses: `username` is refused until `locked_until`."""

    name = "security.account_locked"
    user_id: int | None  # the owner, told by notification; None for a username nobody has
    username: str
    locked_until: datetime
    lockouts: int  # locks in a row, this one included
    ip: str  # the failure that completed the pattern
    addresses: int  # how many addresses the failures came from
    reason: str  # "20 failed logins from 5 addresses: ..."
