# Notification preferences and deliveries as monitoring made them (monitoring/migrations/0001 and 0003),
# taken over with their tables and rows: only the migration state moves (monitoring/migrations/0004 forgot
# them). Their content types are relabelled, so admin history and permissions stay attached to them.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MODELS = ["notificationpreference", "delivery"]


def _relabel(apps, before: str, after: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(content_type.objects.filter(app_label=after, model__in=MODELS).values_list("model", flat=True))
    content_type.objects.filter(app_label=before, model__in=set(MODELS) - taken).update(app_label=after)


def relabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, "monitoring", "notifications")


def unrelabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, "notifications", "monitoring")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("monitoring", "0004_notifications_move_to_notifications_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("events", models.JSONField(blank=True, default=list)),
                        ("channels", models.JSONField(blank=True, default=list)),
                        (
                            "email",
                            models.EmailField(blank=True, help_text="Empty: the account's address.", max_length=254),
                        ),
                        ("webhook_url", models.URLField(blank=True, max_length=500)),
                        ("webhook_secret", models.TextField(blank=True, editable=False)),
                        ("telegram_chat_id", models.CharField(blank=True, max_length=32)),
                        (
                            "in_app_fills",
                            models.BooleanField(
                                default=True, help_text="A notice on the dashboard when an order fills."
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "monitoring_notificationpreference",
                    },
                ),
                migrations.CreateModel(
                    name="Delivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[("email", "Email"), ("webhook", "Webhook"), ("telegram", "Telegram")],
                                max_length=8,
                            ),
                        ),
                        ("event", models.CharField(max_length=64)),
                        ("target", models.CharField(help_text="Address, URL or chat id.", max_length=500)),
                        ("subject", models.CharField(max_length=200)),
                        ("payload", models.JSONField(default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")],
                                default="pending",
                                max_length=8,
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(
                                default=0, validators=[django.core.validators.MinValueValidator(0)]
                            ),
                        ),
                        ("last_error", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "alert",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="monitoring.alert",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "deliveries",
                        "db_table": "monitoring_delivery",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["status", "created_at"], name="monitoring__status_465cba_idx")
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
