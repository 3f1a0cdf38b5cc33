from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from .health import cache_check, database_check, register_check

        register_check("database", database_check)
        register_check("cache", cache_check)
