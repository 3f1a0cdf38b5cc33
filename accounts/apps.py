from django.apps import AppConfig

from . import events  # noqa: F401 - registers this app's event names before any app subscribes in ready()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import receivers, schema  # noqa: F401 - signal receivers; the OpenAPI auth extension
        from .models import ApiKey, TradingAccount, User

        auditlog.register(User, exclude_fields=["password", "last_login", "revoked_token_families"])
        auditlog.register(TradingAccount)
        # Creation and revocation are recorded; the digest and the per-minute last-use stamps are not.
        auditlog.register(ApiKey, exclude_fields=["key_hash", "last_used_at", "last_used_ip"])
        receivers.subscribe_all()  # security events from brokers, orders and risk, by event name
        from .services.audit_seal import audit_trail_guard

        audit_trail_guard()  # auditlog's entries: sealed in a hash chain, never changed or deleted
