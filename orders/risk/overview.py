"""An account's limits beside what it uses of each: the risk panel and GET /api/v1/risk/."""

from dataclasses import dataclass
from decimal import Decimal

from ..books import usage_of_account
from .models import PlatformRisk, RiskProfile
from .profiles import platform_risk, risk_profile_for


@dataclass(frozen=True)
class LimitUse:
    key: str
    label: str
    limit: Decimal
    used: Decimal
    money: bool

    @property
    def fraction(self) -> float:
        return float(min(self.used / self.limit, Decimal(1))) if self.limit > 0 else 1.0

    @property
    def level(self) -> str:
        """ok, amber from 75% used, red from 90%."""
        return "red" if self.fraction >= 0.9 else "amber" if self.fraction >= 0.75 else "ok"


@dataclass(frozen=True)
class RiskOverview:
    profile: RiskProfile
    platform: PlatformRisk | None
    usage: list[LimitUse]


def risk_overview_for(account_id: int) -> RiskOverview:
    profile = risk_profile_for(account_id)
    usage = usage_of_account(account_id)
    largest_position = max((abs(q) * p for q, p in usage.positions.values()), default=Decimal(0))
    uses = [
        LimitUse("open_orders", "Open orders", Decimal(profile.max_open_orders), Decimal(usage.open_orders), False),
        LimitUse(
            "orders_per_minute",
            "Orders this minute",
            Decimal(profile.max_orders_per_minute),
            Decimal(usage.orders_this_minute),
            False,
        ),
        LimitUse(
            "orders_per_day", "Orders today", Decimal(profile.max_orders_per_day), Decimal(usage.orders_today), False
        ),
        LimitUse("gross_exposure", "Gross exposure", profile.max_gross_exposure, usage.gross_exposure, True),
        LimitUse("position_value", "Largest position", profile.max_position_value, largest_position, True),
        LimitUse("daily_loss", "Today's loss", profile.daily_loss_limit, max(-usage.day_pnl, Decimal(0)), True),
    ]
    return RiskOverview(profile, platform_risk(), uses)
