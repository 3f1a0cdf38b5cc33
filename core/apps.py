from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel as an app only so that its template filters (money) are found."""

    name = "core"
    verbose_name = "Core"
