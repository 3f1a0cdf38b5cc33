"""What strategies tell the rest of the platform (monitoring subscribes by name: "strategies.run_failed")."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class StrategyRunFailed(Event):
    """A running strategy raised (or could no longer trade) and its run was stopped as FAILED."""

    name = "strategies.run_failed"
    run_id: int
    strategy: str
    error: str
