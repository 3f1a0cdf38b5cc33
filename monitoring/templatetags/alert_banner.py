"""{% alert_banner %}: the firing alerts, for staff only, cached briefly (one query per few seconds, not per page)."""

from django import template
from django.conf import settings
from django.core.cache import cache

from ..alerting import BANNER_CACHE_KEY, alerts_firing

register = template.Library()


@register.inclusion_tag("monitoring/_alert_banner.html", takes_context=True)
def alert_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {"alerts": []}
    alerts = cache.get(BANNER_CACHE_KEY)
    if alerts is None:
        alerts = alerts_firing()
        cache.set(BANNER_CACHE_KEY, alerts, timeout=settings.ALERT_BANNER_CACHE_SECONDS)
    return {"alerts": alerts}
