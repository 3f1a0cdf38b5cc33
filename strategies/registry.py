"""The strategies a backtest (or run) can name: the built-ins, and any registered in an AppConfig.ready.

The registry knows no strategy: each registers itself (the built-ins from StrategiesConfig.ready)."""

from strategies.errors import SpecInvalid

from .base import Strategy

_registry: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a `name`")
    _registry[cls.name] = cls
    return cls


def strategies_all() -> list[type[Strategy]]:
    return sorted(_registry.values(), key=lambda cls: cls.name)


def strategy_get(name: str, *, field: str = "strategy") -> type[Strategy]:
    cls = _registry.get(name) if isinstance(name, str) else None
    if cls is None:
        known = ", ".join(sorted(_registry))
        raise SpecInvalid(
            f"Unknown strategy {str(name)[:60]!r}; available: {known}.", code="unknown_strategy", field=field
        )
    return cls
