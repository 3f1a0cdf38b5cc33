# Trader notifications became the `notifications` app's (issue 21). Their tables stay as they are (the models
# keep the names through Meta.db_table): monitoring only forgets them, notifications/migrations/0001 takes them.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_notification_in_app_fills"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="NotificationPreference"),
            ],
            database_operations=[],
        ),
    ]
