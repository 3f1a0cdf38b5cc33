"""Each real broker's circuit breakers, registered with monitoring's /health/ready (reported, not required)."""

from collections import Counter

from .models import BrokerAccount
from .resilience import breaker_state

# Breaker state is one Redis read per account: beyond this many accounts the check looks at the first ones only.
MAX_ACCOUNTS = 500


def breakers_check(broker: str) -> str:
    """Fails while any account's breaker for `broker` is open (its calls refused); names those accounts."""
    account_ids = list(
        BrokerAccount.objects.filter(broker=broker)
        .exclude(status=BrokerAccount.Status.NEW)
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_ACCOUNTS]
    )
    states = {pk: breaker_state(broker, pk) for pk in account_ids}
    counts = Counter(states.values())
    summary = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "no connected accounts"
    opened = [str(pk) for pk, state in states.items() if state == "open"]
    if opened:
        raise RuntimeError(f"open for broker accounts {', '.join(opened[:20])} ({summary})")
    return summary
