# The risk models became the `risk` app's (issue 21). Their tables stay as they are (risk's models keep the
# names through Meta.db_table): orders only forgets them, and risk/migrations/0001 takes them over.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_ledger_kinds_in_trader_words"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PlatformRisk"),
                migrations.DeleteModel(name="RiskEvent"),
                migrations.DeleteModel(name="RiskProfile"),
            ],
            database_operations=[],
        ),
    ]
