from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension
        from .models import TradingAccount, User

        auditlog.register(User, exclude_fields=["password", "last_login"])
        auditlog.register(TradingAccount)
