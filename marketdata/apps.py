from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self) -> None:
        from monitoring.health import register_check

        from .bus import register_subscription_provider
        from .health import feed_freshness_check
        from .selectors import watched_instrument_ids

        register_subscription_provider("watchlists", watched_instrument_ids)
        # Stale prices degrade the platform; they do not make the web tier unready.
        register_check("feed", feed_freshness_check, critical=False)
