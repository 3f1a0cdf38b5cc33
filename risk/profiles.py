"""Risk profiles and trading-state changes (both under the account's lock, like every write to its money)."""

from django.db import transaction

from core import clock, events

from .events import TradingStateChanged
from .models import PlatformRisk, RiskEvent, RiskProfile, TradingState


def risk_profile_for(account_id: int, *, lock: bool = False, with_account: bool = False) -> RiskProfile:
    """The account's profile, made with the model's starting limits the first time it is needed.

    `with_account`: its trading account's row is read in the same statement (placement: both as they are
    once the account's lock is held)."""
    queryset = RiskProfile.objects.select_for_update() if lock else RiskProfile.objects
    if with_account:
        queryset = queryset.select_related("account")
    try:
        return queryset.get(account_id=account_id)
    except RiskProfile.DoesNotExist:
        profile, _ = RiskProfile.objects.get_or_create(account_id=account_id)
        return profile


def platform_risk() -> PlatformRisk | None:
    return PlatformRisk.objects.filter(pk=1).first()


def trading_state_shown(account_id: int) -> tuple[str, str]:
    """(state, why) as the trader should see it now: the platform-wide halt shows as HALTED.

    A read for the dashboard (the top bar, the ticket); placement decides under the account's lock."""
    platform = platform_risk()
    if platform is not None and platform.halted:
        why = f": {platform.reason}" if platform.reason else ""
        return TradingState.HALTED, f"Trading is halted on the platform{why}"
    row = RiskProfile.objects.filter(account_id=account_id).values_list("state", "state_reason").first()
    return tuple(row) if row else (TradingState.ACTIVE, "")


def trading_state_set(profile: RiskProfile, *, state: str, code: str, reason: str, actor: str, reactivate_after=None):
    """Move the account to `state`, with its history row and an event once committed."""
    previous = profile.state
    if previous == state and profile.state_code == code:
        return
    profile.state, profile.state_code, profile.state_reason = state, code, reason[:200]
    profile.state_changed_at, profile.reactivate_after = clock.now(), reactivate_after
    profile.save(
        update_fields=["state", "state_code", "state_reason", "state_changed_at", "reactivate_after", "updated_at"]
    )
    RiskEvent.objects.create(
        account_id=profile.account_id,
        kind=RiskEvent.Kind.STATE,
        code=code,
        message=reason[:300],
        actor=actor,
        data={"from": previous, "to": state},
    )
    changed = TradingStateChanged(
        account_id=profile.account_id, from_state=previous, to_state=state, code=code, reason=reason, actor=actor
    )
    transaction.on_commit(lambda: events.publish(changed))
