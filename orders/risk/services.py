"""The kill switch, reactivation, the platform-wide halt and the daily-loss sweep."""

import logging
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.db import transaction

from accounts.models import TradingAccount
from core import clock, events
from core.errors import RuleViolation
from core.formatting import inr
from marketdata.market_hours import next_trading_day

from ..models import Funds, Order, Position
from ..services import orders_cancel_all, positions_close
from ..services.books import locked, mark
from ..services.notices import notification_create
from .events import DailyLossLimitReached, KillSwitchActivated, RiskLimitsChanged, RiskUsageCorrected
from .models import PlatformRisk, RiskEvent, RiskProfile, TradingState
from .profiles import risk_profile_for, trading_state_set
from .usage import day_start, usage_of_account, usage_recount, usage_running

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KillSwitchResult:
    cancelled: list[Order]
    closing: list[Order]


def kill_switch_activate(*, account: TradingAccount, actor: str, square_off: bool, by_admin: bool = False):
    """HALT the account (cancels only), cancel every open order and, if asked, square everything off.

    The trader's own switch can be undone by the trader: on a live account from the next trading day, on a
    paper account at once; an admin's only by an admin.
    """
    with locked(account.id):  # under the account's lock: no order slips in between
        profile = risk_profile_for(account.id, lock=True, with_account=True)  # its mode as it is now
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
            account_id=account.id,
            kind=RiskEvent.Kind.KILL_SWITCH,
            code="risk_kill_switch",
            message=reason,
            actor=actor,
            data={"square_off": square_off, "by_admin": by_admin},
        )
    cancelled = orders_cancel_all(user=account.user, account=account)
    closing = positions_close(user=account.user, account=account) if square_off else []
    events.publish(KillSwitchActivated(account_id=account.id, actor=actor, square_off=square_off))
    return KillSwitchResult(cancelled, closing)


def risk_limits_update(*, account: TradingAccount, limits: dict, actor: str) -> RiskProfile:
    """An administrator's new limits for the account: written under the account's lock (placement reads them
    under it), only the fields that changed (a halt that landed meanwhile stays), and the trader is told
    (a dashboard notice, and the `risk.limits_changed` event for the channels they chose)."""
    with locked(account.id):
        profile = risk_profile_for(account.id, lock=True)
        changes = {name: (getattr(profile, name), value) for name, value in limits.items()}
        changes = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
        if not changes:
            return profile
        for name, (_, value) in changes.items():
            setattr(profile, name, value)
        profile.save(update_fields=[*changes, "updated_at"])
        message = _limits_message(changes)
        notification_create(user_id=account.user_id, code="risk_limits_changed", message=message)
    described = {name: [_limit_text(before), _limit_text(after)] for name, (before, after) in changes.items()}
    log.info("risk limits of account %s changed by %s: %s", account.id, actor, described)
    changed = RiskLimitsChanged(account_id=account.id, message=message, changes=described)
    transaction.on_commit(lambda: events.publish(changed))  # the admin's save is one transaction
    return profile


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


def platform_halt(*, actor: str, reason: str, square_off: bool = False) -> int:
    """The platform-wide kill switch: no account takes new orders, every account is halted. Returns accounts halted."""
    _platform_switch(halted=True, reason=reason, actor=actor)
    accounts = TradingAccount.objects.select_related("user")
    for account in accounts:
        kill_switch_activate(account=account, actor=actor, square_off=square_off, by_admin=True)
    events.publish(KillSwitchActivated(account_id=None, actor=actor, square_off=square_off, platform=True))
    return len(accounts)


def platform_resume(*, actor: str) -> None:
    """Lift the platform-wide halt (accounts stay halted until reactivated one by one)."""
    _platform_switch(halted=False, reason="", actor=actor)


@transaction.atomic
def _platform_switch(*, halted: bool, reason: str, actor: str) -> None:
    """The switch, and its copy on every account's Funds row in one statement: the UPDATE waits for placements
    holding an account's lock, and every placement after it sees the switch in the row it locks."""
    PlatformRisk.objects.update_or_create(
        pk=1, defaults={"halted": halted, "reason": reason[:200], "changed_at": clock.now(), "changed_by": actor}
    )
    Funds.objects.update(platform_halted=halted)


def risk_daily_loss_sweep() -> dict[str, int]:
    """Without waiting for an order: accounts whose day's loss reached the limit move to REDUCING (and square
    off if configured); accounts held REDUCING by yesterday's loss start the new day ACTIVE."""
    counts = {"reducing": 0, "reset": 0}
    today = day_start()
    stale = RiskProfile.objects.filter(
        state=TradingState.REDUCING, state_code="risk_daily_loss_limit", state_changed_at__lt=today
    )
    for profile in stale:
        trading_state_set(
            profile, state=TradingState.ACTIVE, code="risk_new_day", reason="A new trading day", actor="risk"
        )
        counts["reset"] += 1
    exposed = set(Position.objects.exclude(net_quantity=0).values_list("account_id", flat=True))
    for profile in RiskProfile.objects.filter(account_id__in=exposed, state=TradingState.ACTIVE):
        if _loss_limit_reached(profile):
            counts["reducing"] += 1
    return counts


def _loss_limit_reached(profile: RiskProfile) -> bool:
    usage = usage_of_account(profile.account_id)
    if usage.day_pnl > -profile.daily_loss_limit:
        return False
    with transaction.atomic():
        locked_profile = risk_profile_for(profile.account_id, lock=True)
        if locked_profile.state != TradingState.ACTIVE:
            return False
        trading_state_set(
            locked_profile,
            state=TradingState.REDUCING,
            code="risk_daily_loss_limit",
            reason=f"Daily loss limit reached (P&L {usage.day_pnl:.2f})",
            actor="risk",
        )
    reached = DailyLossLimitReached(
        account_id=profile.account_id, day_pnl=usage.day_pnl, limit=profile.daily_loss_limit
    )
    events.publish(reached)
    if profile.square_off_on_daily_loss:
        account = TradingAccount.objects.select_related("user").get(id=profile.account_id)
        positions_close(user=account.user, account=account)
    return True


def risk_usage_verify(account_ids: list[int] | None = None) -> list[int]:
    """Hold each account's running usage (orders/risk/usage.py) to its rows; where they differ, set it from
    the rows, log it and tell monitoring. Daily after the day's orders expire, and on demand. Returns the
    accounts corrected."""
    if account_ids is None:
        account_ids = list(TradingAccount.objects.values_list("id", flat=True))
    corrected = []
    for account_id in account_ids:
        with locked(account_id) as books:
            funds, now = books.funds, clock.now()
            running, counted = usage_running(funds, now=now), usage_recount(account_id, now=now)
            if running == counted:
                continue
            funds.open_orders, funds.open_order_value = counted.open_orders, counted.open_order_value
            funds.orders_today, funds.realised_today = counted.orders_today, counted.realised_today
            funds.usage_day, funds.positions_held = clock.ist_date(now), counted.positions_held
            mark(
                funds,
                "open_orders",
                "open_order_value",
                "orders_today",
                "realised_today",
                "usage_day",
                "positions_held",
            )
        log.warning("Risk usage of account %s corrected: %s -> %s", account_id, running, counted)
        events.publish(RiskUsageCorrected(account_id=account_id, running=_plain(running), counted=_plain(counted)))
        corrected.append(account_id)
    return corrected


def _plain(usage) -> dict:
    return {name: str(value) for name, value in vars(usage).items()}
