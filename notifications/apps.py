from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the delivery task, which deliveries queue by name
        from .services import subscribe_events

        subscribe_events()  # fills, rejections, loss limit, kill switch, ..., and the operator alerts
