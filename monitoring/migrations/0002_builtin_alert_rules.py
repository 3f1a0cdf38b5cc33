"""The built-in alert rules. Operators add addresses and a webhook, and tune them, in the admin."""

from django.db import migrations

BUILTIN = [
    # name, condition, threshold, duration (s), severity
    ("Circuit breaker open", "circuit_open", 0, 0, "critical"),
    ("Broker error rate above 20% over 5 minutes", "broker_error_rate", 20, 60, "warning"),
    ("Market feed stale", "feed_stale", 60, 0, "warning"),
    ("No worker heartbeat", "worker_heartbeat_age", 60, 0, "critical"),
    ("Queue backlog", "queue_backlog", 500, 60, "warning"),
    ("Order rejection spike", "order_rejections", 20, 0, "warning"),
    ("Position mismatch with the broker", "position_mismatch", 0, 0, "critical"),
    ("A trader's daily loss limit reached", "daily_loss_limit", 0, 0, "info"),
]


def create(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for name, condition, threshold, duration, severity in BUILTIN:
        AlertRule.objects.get_or_create(
            name=name,
            defaults={"condition": condition, "threshold": threshold, "duration_seconds": duration, "severity": severity},
        )


def remove(apps, schema_editor):
    apps.get_model("monitoring", "AlertRule").objects.filter(name__in=[row[0] for row in BUILTIN]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
