# The dashboard's notices became the notifications app's (notifications/migrations/0002 takes the model over
# with its table and rows). Their reference to an order becomes a plain id there: the database's foreign
# key is dropped here (the column and its index stay), then orders forgets the model.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0008_ledger_charges"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="order",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="orders.order",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
