"""The risk side of the kill switch, reactivation, the platform-wide switch, limit changes and the daily loss
limit: states and their history. What they do to orders (cancelling, squaring off, the books' copy of the
platform switch) is orders' (orders/services/risk_actions.py), which calls these."""

import logging
from datetime import datetime, time
from decimal import Decimal

from django.db import transaction

from accounts.models import TradingAccount
from core import clock
from core.errors import RuleViolation
from core.formatting import inr
from marketdata.market_hours import next_trading_day

from .models import PlatformRisk, RiskEvent, RiskProfile, TradingState
from .profiles import risk_profile_for, trading_state_set

log = logging.getLogger(__name__)


def kill_switch_engage(*, account_id: int, actor: str, square_off: bool, by_admin: bool = False) -> RiskProfile:
    """HALT the account (cancels only), with its history. Call under the account's lock, so no order slips in
    between; cancelling its open orders is the caller's.

    The trader's own switch can be undone by the trader: on a live account from the next trading day, on a
    paper account at once; an admin's only by an admin.
    """
    profile = risk_profile_for(account_id, lock=True, with_account=True)  # its mode as it is now
    reactivate_after = None if by_admin else _trader_may_reactivate_from(profile.account)
    reason = f"Kill switch ({actor})"
    trading_state_set(
        profile,
        state=TradingState.HALTED,
        code="risk_kill_switch",
        reason=reason,
        actor=actor,
        reactivate_after=reactivate_after,
    )
    RiskEvent.objects.create(
        account_id=account_id,
        kind=RiskEvent.Kind.KILL_SWITCH,
        code="risk_kill_switch",
        message=reason,
        actor=actor,
        data={"square_off": square_off, "by_admin": by_admin},
    )
    return profile


def risk_limits_set(*, account_id: int, limits: dict) -> tuple[RiskProfile, dict, str]:
    """Write an administrator's new limits, only the fields that changed (a halt that landed meanwhile stays).
    Call under the account's lock (placement reads the limits under it). Returns the profile, the changes
    (field -> (before, after)) and the message that tells the trader; no changes: ({}, "")."""
    profile = risk_profile_for(account_id, lock=True)
    changes = {name: (getattr(profile, name), value) for name, value in limits.items()}
    changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if not changes:
        return profile, {}, ""
    for name, (_, value) in changes.items():
        setattr(profile, name, value)
    profile.save(update_fields=[*changes, "updated_at"])
    return profile, changes, _limits_message(changes)


def limits_described(changes: dict) -> dict:
    """field -> [before, after] as text (the log line and the `risk.limits_changed` event)."""
    return {name: [_limit_text(before), _limit_text(after)] for name, (before, after) in changes.items()}


def _limits_message(changes: dict) -> str:
    parts = [
        f"{RiskProfile._meta.get_field(name).verbose_name.capitalize()}: {_limit_text(before)} → {_limit_text(after)}"
        for name, (before, after) in changes.items()
    ]
    return "An administrator changed your risk limits. " + "; ".join(parts) + "."


def _limit_text(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Decimal):
        return inr(value)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def _trader_may_reactivate_from(account: TradingAccount) -> datetime:
    """A live halt cools off until the next trading day: real money, and a decision taken in a bad moment.
    A paper account's money is simulated and practice is what it is for: its trader may resume the same day.
    Decided when the switch is thrown, so switching the account to paper cannot shorten a live halt."""
    if account.mode == TradingAccount.Mode.PAPER:
        return clock.now()
    return datetime.combine(next_trading_day(clock.ist_date()), time(0), clock.IST)


def trading_state_reactivate(*, account: TradingAccount, actor: str, by_admin: bool = False) -> RiskProfile:
    """Back to ACTIVE: a deliberate step, recorded. The trader may undo their own halt from `reactivate_after`."""
    with transaction.atomic():
        profile = risk_profile_for(account.id, lock=True)
        if profile.state == TradingState.ACTIVE:
            return profile
        if not by_admin:
            _check_trader_may_reactivate(profile)
        trading_state_set(
            profile, state=TradingState.ACTIVE, code="risk_reactivated", reason="Reactivated", actor=actor
        )
    return profile


def _check_trader_may_reactivate(profile: RiskProfile) -> None:
    if profile.state == TradingState.REDUCING and profile.state_code == "risk_daily_loss_limit":
        raise RuleViolation(
            "The daily loss limit holds until the next trading day.", code="risk_reactivation_not_allowed"
        )
    if profile.reactivate_after is None:
        raise RuleViolation(
            "An administrator halted this account; ask them to reactivate it.", code="risk_reactivation_not_allowed"
        )
    if clock.now() < profile.reactivate_after:
        when = profile.reactivate_after.astimezone(clock.IST)
        raise RuleViolation(
            f"Your kill switch holds until {when:%a %d %b %Y, %H:%M} IST.", code="risk_reactivation_not_yet"
        )


def platform_switch_set(*, halted: bool, reason: str, actor: str) -> None:
    """The platform-wide switch's row. The books' copy of it on every account is orders' to write, in the same
    transaction (orders/services/risk_actions.py)."""
    PlatformRisk.objects.update_or_create(
        pk=1, defaults={"halted": halted, "reason": reason[:200], "changed_at": clock.now(), "changed_by": actor}
    )


def daily_loss_states_reset(*, day_start: datetime) -> int:
    """Accounts held REDUCING by an earlier day's loss start the new day ACTIVE. Returns how many."""
    stale = RiskProfile.objects.filter(
        state=TradingState.REDUCING, state_code="risk_daily_loss_limit", state_changed_at__lt=day_start
    )
    count = 0
    for profile in stale:
        trading_state_set(
            profile, state=TradingState.ACTIVE, code="risk_new_day", reason="A new trading day", actor="risk"
        )
        count += 1
    return count


def daily_loss_limit_apply(*, account_id: int, day_pnl: Decimal) -> bool:
    """Move an ACTIVE account to REDUCING because the day's loss reached its limit; False if it was not ACTIVE
    by the time its profile was locked."""
    with transaction.atomic():
        profile = risk_profile_for(account_id, lock=True)
        if profile.state != TradingState.ACTIVE:
            return False
        trading_state_set(
            profile,
            state=TradingState.REDUCING,
            code="risk_daily_loss_limit",
            reason=f"Daily loss limit reached (P&L {day_pnl:.2f})",
            actor="risk",
        )
    return True
