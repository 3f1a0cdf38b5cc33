"""Exchange sessions in IST. Orders outside them are refused unless the paper account is "always open"."""

from datetime import date, datetime, time, timedelta

from django.conf import settings

from core.clock import IST

SESSIONS = {
    "NSE": (time(9, 15), time(15, 30)),
    "BSE": (time(9, 15), time(15, 30)),
    "NFO": (time(9, 15), time(15, 30)),
    "BFO": (time(9, 15), time(15, 30)),
    "CDS": (time(9, 0), time(17, 0)),
    "MCX": (time(9, 0), time(23, 30)),
    "NCDEX": (time(10, 0), time(17, 0)),
    "NCO": (time(9, 0), time(23, 30)),
}


def _holidays() -> set[date]:
    return {date.fromisoformat(d) for d in settings.MARKET_HOLIDAYS}


def is_open(exchange: str, moment: datetime) -> bool:
    local = moment.astimezone(IST)
    if local.weekday() >= 5 or local.date() in _holidays():
        return False
    start, end = SESSIONS.get(exchange, SESSIONS["NSE"])
    return start <= local.time() < end


def closed_message(exchange: str, moment: datetime) -> str:
    start, end = SESSIONS.get(exchange, SESSIONS["NSE"])
    local = moment.astimezone(IST)
    return (
        f"The {exchange} market is closed ({local:%a %H:%M} IST); it trades {start:%H:%M} to {end:%H:%M} IST "
        "on weekdays that are not holidays."
    )


def next_trading_day(after: date) -> date:
    """The first weekday after `after` that is not an exchange holiday."""
    day, holidays = after + timedelta(days=1), _holidays()
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day
