"""Holding the running totals to the rows: daily after the day's orders expire, and on demand."""

import logging

from accounts.models import TradingAccount
from core import clock, events
from risk.events import RiskUsageCorrected

from .account import AccountBooks
from .usage import usage_recount

log = logging.getLogger(__name__)


def risk_usage_verify(account_ids: list[int] | None = None) -> list[int]:
    """Where an account's running totals differ from its rows, set them from the rows, log it and tell
    monitoring. Returns the accounts corrected."""
    if account_ids is None:
        account_ids = list(TradingAccount.objects.values_list("id", flat=True))
    corrected = []
    for account_id in account_ids:
        with AccountBooks.locked(account_id) as books:
            now = clock.now()
            running, counted = books.running_totals(now=now), usage_recount(account_id, now=now)
            if running == counted:
                continue
            books.correct_running_totals(counted, now)
        log.warning("Risk usage of account %s corrected: %s -> %s", account_id, running, counted)
        events.publish(RiskUsageCorrected(account_id=account_id, running=_plain(running), counted=_plain(counted)))
        corrected.append(account_id)
    return corrected


def _plain(usage) -> dict:
    return {name: str(value) for name, value in vars(usage).items()}
