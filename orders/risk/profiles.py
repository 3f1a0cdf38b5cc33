"""Risk profiles and trading-state changes (both under the account's lock, like every write to its money)."""

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum

from core import clock, events

from ..models import LedgerEntry
from .events import TradingStateChanged
from .models import PlatformRisk, RiskEvent, RiskProfile
from .usage import day_start


def risk_profile_for(account_id: int, *, lock: bool = False) -> RiskProfile:
    """The account's profile, created from settings.RISK_DEFAULTS the first time it is needed."""
    queryset = RiskProfile.objects.select_for_update() if lock else RiskProfile.objects
    profile = queryset.filter(account_id=account_id).first()
    if profile is None:
        profile, _ = RiskProfile.objects.get_or_create(account_id=account_id, defaults=dict(settings.RISK_DEFAULTS))
    return profile


def risk_profile_for_checks(account_id: int) -> tuple[RiskProfile, PlatformRisk]:
    """The profile and what the checks read beside it, in one statement: the platform's halt and the
    account's realised P&L since the day began (as `profile.realised_today`)."""
    platform = PlatformRisk.objects.filter(pk=1)
    realised = (
        LedgerEntry.objects.filter(
            account_id=OuterRef("account_id"), kind=LedgerEntry.Kind.REALISED_PNL, created_at__gte=day_start()
        )
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    profiles = RiskProfile.objects.filter(account_id=account_id).annotate(
        platform_halted=Subquery(platform.values("halted")),
        platform_reason=Subquery(platform.values("reason")),
        realised_today=Subquery(realised),
    )
    profile = profiles.first()
    if profile is None:
        risk_profile_for(account_id)  # made from the defaults, then read as above
        profile = profiles.first()
    return profile, PlatformRisk(halted=bool(profile.platform_halted), reason=profile.platform_reason or "")


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
