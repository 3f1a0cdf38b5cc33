# Two changes, in one step:
# - The dashboard's notices move here from orders with their table and rows (orders/migrations/0009 dropped
#   the database's foreign key to the order and forgot the model): only the state moves; the order becomes a
#   plain `order_id`, and the content type is relabelled so admin history and permissions stay attached.
# - Notices, deliveries and preferences name a trading account. Each user's preferences become their default
#   account's (a user without an account keeps a row without one); a notice about an order becomes that
#   order's account's; other notices, and the deliveries already made, name none.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _relabel(apps, before: str, after: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if content_type.objects.filter(app_label=after, model="notification").exists():
        return
    content_type.objects.filter(app_label=before, model="notification").update(app_label=after)


def relabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, "orders", "notifications")


def unrelabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, "notifications", "orders")


def accounts_fill(apps, schema_editor) -> None:
    account_model = apps.get_model("accounts", "TradingAccount")
    defaults = dict(account_model.objects.filter(is_default=True).values_list("user_id", "id"))
    preferences = apps.get_model("notifications", "NotificationPreference")
    for pref in preferences.objects.filter(account=None).only("id", "user_id"):
        if pref.user_id in defaults:
            preferences.objects.filter(id=pref.id).update(account_id=defaults[pref.user_id])
    notices = apps.get_model("notifications", "Notification")
    order_ids = set(notices.objects.exclude(order_id=None).values_list("order_id", flat=True))
    orders = apps.get_model("orders", "Order").objects.filter(id__in=order_ids)
    for order_id, account_id in orders.values_list("id", "account_id").iterator():
        notices.objects.filter(order_id=order_id, account=None).update(account_id=account_id)


def preferences_back_to_one_per_user(apps, schema_editor) -> None:
    """Backwards: the user's default account's preferences are theirs again (the other accounts' go)."""
    preferences = apps.get_model("notifications", "NotificationPreference")
    account_model = apps.get_model("accounts", "TradingAccount")
    defaults = set(account_model.objects.filter(is_default=True).values_list("id", flat=True))
    preferences.objects.exclude(account=None).exclude(account_id__in=defaults).delete()
    kept = preferences.objects.exclude(account=None).values_list("user_id", flat=True)
    preferences.objects.filter(account=None, user_id__in=kept).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_api_key_accounts"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0001_initial"),
        ("orders", "0009_notification_moves_to_notifications"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "level",
                            models.CharField(
                                choices=[("info", "Info"), ("warning", "Warning"), ("error", "Error")],
                                default="info",
                                max_length=8,
                            ),
                        ),
                        ("code", models.CharField(max_length=64)),
                        ("message", models.CharField(max_length=400)),
                        (
                            "order_id",
                            models.BigIntegerField(
                                blank=True, db_index=True, help_text="The order it is about.", null=True
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_notification",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("read_at", None)),
                                fields=["user", "read_at"],
                                name="notification_user_unread",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
        migrations.AddField(
            model_name="notification",
            name="account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.tradingaccount",
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="account",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.tradingaccount",
            ),
        ),
        migrations.AddField(
            model_name="notificationpreference",
            name="account",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.tradingaccount",
            ),
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.RunPython(accounts_fill, preferences_back_to_one_per_user),
        migrations.AddConstraint(
            model_name="notificationpreference",
            constraint=models.UniqueConstraint(
                condition=models.Q(("account", None)),
                fields=("user",),
                name="notification_preference_one_without_account",
            ),
        ),
    ]
