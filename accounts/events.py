"""What accounts tells the rest of the platform (security events, alerts and audit subscribe by name)."""

from dataclasses import dataclass
from datetime import datetime

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class AccountLocked(Event):
    """Too many failed logins in a row: `username` is refused until `locked_until`."""

    name = "security.account_locked"
    username: str
    locked_until: datetime
    lockouts: int  # locks in a row, this one included
    ip: str
