"""Risk profiles and trading-state changes (both under the account's lock, like every write to its money)."""

from django.conf import settings
from django.db import transaction

from core import clock, events

from .events import TradingStateChanged
from .models import PlatformRisk, RiskEvent, RiskProfile


def risk_profile_for(account_id: int, *, lock: bool = False, with_account: bool = False) -> RiskProfile:
    """The account's profile, created from settings.RISK_DEFAULTS the first time it is needed.

    `with_account`: its trading account's row is read in the same statement (placement: both as they are
    once the account's lock is held)."""
    queryset = RiskProfile.objects.select_for_update() if lock else RiskProfile.objects
    if with_account:
        queryset = queryset.select_related("account")
    try:
        return queryset.get(account_id=account_id)
    except RiskProfile.DoesNotExist:
        profile, _ = RiskProfile.objects.get_or_create(account_id=account_id, defaults=dict(settings.RISK_DEFAULTS))
        return profile


def platform_risk() -> PlatformRisk | None:
    return PlatformRisk.objects.filter(pk=1).first()


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
        account_id=profile.account_id, kind=RiskEvent.Kind.STATE, code=code, message=reason[:300], actor=actor,
        data={"from": previous, "to": state},
    )  # fmt: skip
    changed = TradingStateChanged(
        account_id=profile.account_id, from_state=previous, to_state=state, code=code, reason=reason, actor=actor
    )
    transaction.on_commit(lambda: events.publish(changed))
