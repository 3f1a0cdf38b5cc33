"""The platform's idea of "now", and India's time zone.

Tests replace `now` (and only `now`) to travel in time: every place that asks
what time it is calls `clock.now()`, never `datetime.now()` or `timezone.now()`.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Indian Standard Time: UTC+05:30 all year (no daylight saving). Stored times are UTC; shown in IST.
IST = ZoneInfo("Asia/Kolkata")


def now() -> datetime:
    return datetime.now(UTC)


def ist_date(moment: datetime | None = None) -> date:
    """The IST calendar date of `moment` (default: now): India's trading day."""
    return (moment or now()).astimezone(IST).date()
