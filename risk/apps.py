from django.apps import AppConfig

# Registers this app's event names before any app subscribes in ready().
from . import events  # noqa: F401


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        # Who changed which limit, and the platform-wide switch: edited by hand, so audited.
        from auditlog.registry import auditlog

        from .models import PlatformRisk, RiskProfile

        auditlog.register(RiskProfile, exclude_fields=["updated_at"])
        auditlog.register(PlatformRisk)
