from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from monitoring.conditions import register_condition
        from monitoring.health import register_check

        from .bus import register_subscription_provider
        from .health import feed_age_seconds, feed_freshness_check
        from .models import Instrument
        from .selectors import interesting_instrument_ids, watched_instrument_ids

        register_subscription_provider("watchlists", watched_instrument_ids)
        register_subscription_provider("quotes-asked-for", interesting_instrument_ids)
        auditlog.register(Instrument, exclude_fields=["updated_at", "import_generation"])
        # Reported, not required by default (HEALTH_REQUIRED_CHECKS): stale prices degrade, the web still serves.
        register_check("feed", feed_freshness_check)
        register_condition("feed_stale", feed_age_seconds, "seconds since the newest feed's last tick")

        from monitoring.metrics import register_collector

        from .metrics import last_tick_age_collector

        register_collector("feed_last_tick_age_seconds", last_tick_age_collector)
