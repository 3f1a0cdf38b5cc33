from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        # Who changed which limit, and the platform-wide switch: edited by hand, so audited.
        from auditlog.registry import auditlog

        from .models import PlatformRisk, RiskProfile

        auditlog.register(RiskProfile, exclude_fields=["updated_at"])
        auditlog.register(PlatformRisk)
