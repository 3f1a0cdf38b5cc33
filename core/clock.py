"""The platform's idea of "now", and India's time zone.

Tests replace `now` (and only `now`) to travel in time: every place that asks
what time it is calls `clock.now()`, never `datetime.now()` or `timezone.now()`.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# Indian Standard Time: UTC+05:30 all year (no daylight saving). Stored times are UTC; shown in IST.
# The only definition of India's time zone in the code: everything imports these (a test checks).
IST = ZoneInfo("Asia/Kolkata")
# India has kept +05:30 since 1945, so for any market date a fixed offset is exact: the loops that
# turn epoch seconds into IST days and bars use it instead of a time-zone lookup per value.
IST_OFFSET = timedelta(hours=5, minutes=30)
IST_OFFSET_SECONDS = int(IST_OFFSET.total_seconds())


def now() -> datetime:
    return datetime.now(UTC)


def ist_date(moment: datetime | None = None) -> date:
    """The IST calendar date of `moment` (default: now): India's trading day."""
    return (moment or now()).astimezone(IST).date()
