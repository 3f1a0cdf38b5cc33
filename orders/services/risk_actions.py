"""What risk decisions do to orders and the books: the kill switch cancels open orders (and squares off), the
platform-wide switch is copied onto every account's books, the daily loss limit may square off, and the
running usage is held to the rows. Orders call risk (risk/services.py) for the states; risk never calls back."""

import logging
from dataclasses import dataclass

from django.db import transaction

from accounts.models import TradingAccount
from core import events
from notifications.services import notification_create
from risk.events import DailyLossLimitReached, KillSwitchActivated, RiskLimitsChanged
from risk.models import RiskProfile, TradingState
from risk.services import (
    daily_loss_limit_apply,
    daily_loss_states_reset,
    kill_switch_engage,
    limits_described,
    platform_switch_set,
    risk_limits_set,
)

from ..books import AccountBooks, day_start, usage_of_account
from ..models import Order, Position
from .modification import orders_cancel_all
from .placement import positions_close

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KillSwitchResult:
    cancelled: list[Order]
    closing: list[Order]


def kill_switch_activate(*, account: TradingAccount, actor: str, square_off: bool, by_admin: bool = False):
    """HALT the account (cancels only), cancel every open order and, if asked, square everything off."""
    with AccountBooks.locked(account.id):  # under the account's lock: no order slips in between
        kill_switch_engage(account_id=account.id, actor=actor, square_off=square_off, by_admin=by_admin)
    cancelled = orders_cancel_all(user=account.user, account=account)
    closing = positions_close(user=account.user, account=account) if square_off else []
    events.publish(KillSwitchActivated(account_id=account.id, actor=actor, square_off=square_off))
    return KillSwitchResult(cancelled, closing)


def risk_limits_update(*, account: TradingAccount, limits: dict, actor: str) -> RiskProfile:
    """An administrator's new limits for the account, written under the account's lock; the trader is told
    (a dashboard notice, and the `risk.limits_changed` event for the channels they chose)."""
    with AccountBooks.locked(account.id):
        profile, changes, message = risk_limits_set(account_id=account.id, limits=limits)
        if not changes:
            return profile
        notification_create(user_id=account.user_id, account_id=account.id, code="risk_limits_changed", message=message)
    described = limits_described(changes)
    log.info("risk limits of account %s changed by %s: %s", account.id, actor, described)
    changed = RiskLimitsChanged(account_id=account.id, message=message, changes=described)
    transaction.on_commit(lambda: events.publish(changed))  # the admin's save is one transaction
    return profile


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
    platform_switch_set(halted=halted, reason=reason, actor=actor)
    AccountBooks.platform_switch_copy(halted=halted)


def risk_daily_loss_sweep() -> dict[str, int]:
    """Without waiting for an order: accounts whose day's loss reached the limit move to REDUCING (and square
    off if configured); accounts held REDUCING by yesterday's loss start the new day ACTIVE."""
    counts = {"reducing": 0, "reset": 0}
    counts["reset"] = daily_loss_states_reset(day_start=day_start())
    exposed = set(Position.objects.exclude(net_quantity=0).values_list("account_id", flat=True))
    for profile in RiskProfile.objects.filter(account_id__in=exposed, state=TradingState.ACTIVE):
        if _loss_limit_reached(profile):
            counts["reducing"] += 1
    return counts


def _loss_limit_reached(profile: RiskProfile) -> bool:
    usage = usage_of_account(profile.account_id)
    if usage.day_pnl > -profile.daily_loss_limit:
        return False
    if not daily_loss_limit_apply(account_id=profile.account_id, day_pnl=usage.day_pnl):
        return False
    reached = DailyLossLimitReached(
        account_id=profile.account_id, day_pnl=usage.day_pnl, limit=profile.daily_loss_limit
    )
    events.publish(reached)
    if profile.square_off_on_daily_loss:
        account = TradingAccount.objects.select_related("user").get(id=profile.account_id)
        positions_close(user=account.user, account=account)
    return True
