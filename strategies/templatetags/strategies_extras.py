from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """A value by a key with dots in it (`costs.model`), which template lookups cannot reach."""
    return (mapping or {}).get(key, "")


@register.filter
def humanize_mode(mode: str) -> str:
    return {
        "percent_equity": "Percent of equity",
        "fixed_quantity": "Fixed quantity",
        "fixed_value": "Fixed value",
    }.get(mode, mode)


@register.filter
def ist(text) -> str:
    """An API time (ISO 8601, UTC) as IST, for tables."""
    from datetime import datetime

    from core.clock import IST

    if not text:
        return "—"
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(IST).strftime("%Y-%m-%d %H:%M")


@register.filter
def epoch_ist(epoch) -> str:
    from datetime import UTC, datetime

    from core.clock import IST

    if epoch in (None, ""):
        return "—"
    return datetime.fromtimestamp(int(epoch), tz=UTC).astimezone(IST).strftime("%Y-%m-%d")


@register.filter
def last_day(end):
    """An exclusive end (IST midnight after the last day) as the inclusive last day."""
    from datetime import timedelta

    from core.clock import IST

    return (end - timedelta(seconds=1)).astimezone(IST).strftime("%Y-%m-%d") if end else "—"
