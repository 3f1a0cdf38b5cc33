from django.apps import AppConfig

from . import events  # noqa: F401 - registers this app's event names before any app subscribes in ready()


class BrokersConfig(AppConfig):
    name = "brokers"
    verbose_name = "Brokers"

    def ready(self) -> None:
        from functools import partial

        from auditlog.registry import auditlog

        from marketdata.bus import register_feed_consumer, register_subscription_provider
        from marketdata.sources import register_feed_source
        from monitoring.conditions import register_condition
        from monitoring.health import register_check

        from .angelone.adapter import AngelOneBroker
        from .angelone.feed import angelone_feed_source
        from .health import breakers_check, breakers_open_count
        from .models import BrokerAccount, PaperOrder
        from .paper.engine import start_engine
        from .paper.exchange import LIVE, PaperBroker
        from .registry import register_broker
        from .resilience.outcomes import error_rate_pct

        register_broker("paper", lambda account: PaperBroker(account.id))
        register_broker("angelone", AngelOneBroker)
        register_check("broker_angelone", partial(breakers_check, "angelone"))  # circuit breakers, one per account
        register_condition("circuit_open", breakers_open_count, "broker accounts whose circuit breaker is open")
        register_condition("broker_error_rate", error_rate_pct, "% of broker calls failing over 5 minutes")
        register_feed_consumer("paper-exchange", start_engine)
        register_feed_source("angelone", angelone_feed_source)
        # Resting paper orders need ticks for their instruments.
        register_subscription_provider(
            "paper-orders",
            lambda: PaperOrder.objects.filter(status__in=LIVE).values_list("instrument_id", flat=True).distinct(),
        )
        # Who changed which broker account when; never the secrets or the session tokens (not even masked).
        hidden = [*BrokerAccount.SECRET_FIELDS, *BrokerAccount.TOKEN_FIELDS, "session_version", "updated_at"]
        auditlog.register(BrokerAccount, exclude_fields=hidden)
