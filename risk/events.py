"""What the risk layer tells the rest of the platform (monitoring, audit, notifications subscribe by name)."""

from dataclasses import dataclass
from decimal import Decimal

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class RiskRejected(Event):
    name = "risk.rejected"
    code: str
    message: str
    order_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TradingStateChanged(Event):
    name = "risk.state_changed"
    from_state: str
    to_state: str
    code: str
    reason: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class KillSwitchActivated(Event):
    name = "risk.kill_switch"
    actor: str
    square_off: bool
    platform: bool = False


@dataclass(frozen=True, kw_only=True)
class DailyLossLimitReached(Event):
    name = "risk.daily_loss_limit"
    day_pnl: Decimal
    limit: Decimal


@dataclass(frozen=True, kw_only=True)
class RiskUsageCorrected(Event):
    """The running usage on an account's Funds row differed from its rows and was set from them."""

    name = "risk.usage_corrected"
    running: dict
    counted: dict


@dataclass(frozen=True, kw_only=True)
class RiskLimitsChanged(Event):
    """An administrator changed an account's limits: `changes` is field -> [before, after] (as text)."""

    name = "risk.limits_changed"
    message: str
    changes: dict
