"""Each real broker's circuit breakers, registered with monitoring's /health/ready (reported, not required)."""

from collections import Counter

from .models import BrokerAccount
from .resilience import breaker_state

# Breaker state is one Redis read per account: beyond this many accounts the check looks at the first ones only.
MAX_ACCOUNTS = 500


def _states(broker: str) -> dict[int, str]:
    account_ids = list(
        BrokerAccount.objects.filter(broker=broker)
        .exclude(status=BrokerAccount.Status.NEW)
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_ACCOUNTS]
    )
    return {pk: breaker_state(broker, pk) for pk in account_ids}


def breakers_open_count(brokers: tuple[str, ...] = ("angelone",)) -> int:
    """The `circuit_open` alert condition: how many accounts' breakers are open right now."""
    return sum(state == "open" for broker in brokers for state in _states(broker).values())


def breakers_check(broker: str) -> str:
    """Fails while any account's breaker for `broker` is open (its calls refused); names those accounts."""
    states = _states(broker)
    counts = Counter(states.values())
    summary = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "no connected accounts"
    opened = [str(pk) for pk, state in states.items() if state == "open"]
    if opened:
        raise RuntimeError(f"open for broker accounts {', '.join(opened[:20])} ({summary})")
    return summary
