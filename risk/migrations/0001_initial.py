# The risk models as orders made them (orders/migrations/0003 and later), taken over with their tables and
# rows: only the migration state moves (orders/migrations/0007 forgot them). Their content types are
# relabelled, so admin history, audit log entries and permissions stay attached to them.

import django.db.models.deletion
from django.db import migrations, models


MODELS = ["riskprofile", "riskevent", "platformrisk"]


def _relabel(apps, before: str, after: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(content_type.objects.filter(app_label=after, model__in=MODELS).values_list("model", flat=True))
    content_type.objects.filter(app_label=before, model__in=set(MODELS) - taken).update(app_label=after)


def relabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, "orders", "risk")


def unrelabel_content_types(apps, schema_editor) -> None:
    _relabel(apps, "risk", "orders")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0010_login_lockout_addresses_and_reason"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0007_risk_models_move_to_risk_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PlatformRisk",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("halted", models.BooleanField(default=False)),
                        ("reason", models.CharField(blank=True, max_length=200)),
                        ("changed_at", models.DateTimeField(blank=True, null=True)),
                        ("changed_by", models.CharField(blank=True, max_length=64)),
                    ],
                    options={
                        "verbose_name": "platform kill switch",
                        "verbose_name_plural": "platform kill switch",
                        "db_table": "orders_platformrisk",
                    },
                ),
                migrations.CreateModel(
                    name="RiskEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("REJECTED", "Rejected"), ("STATE", "State"), ("KILL_SWITCH", "Kill Switch")],
                                max_length=12,
                            ),
                        ),
                        ("code", models.CharField(max_length=64)),
                        ("message", models.CharField(max_length=300)),
                        ("actor", models.CharField(blank=True, max_length=64)),
                        ("data", models.JSONField(blank=True, null=True)),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="risk_events",
                                to="accounts.tradingaccount",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_riskevent",
                        "ordering": ["-at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="RiskProfile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("max_order_value_equity", models.DecimalField(decimal_places=2, max_digits=20)),
                        ("max_order_value_futures", models.DecimalField(decimal_places=2, max_digits=20)),
                        ("max_order_value_options", models.DecimalField(decimal_places=2, max_digits=20)),
                        ("max_quantity_equity", models.PositiveIntegerField()),
                        ("max_quantity_futures", models.PositiveIntegerField()),
                        ("max_quantity_options", models.PositiveIntegerField()),
                        ("price_band_pct_equity", models.DecimalField(decimal_places=2, max_digits=5)),
                        ("price_band_pct_futures", models.DecimalField(decimal_places=2, max_digits=5)),
                        ("price_band_pct_options", models.DecimalField(decimal_places=2, max_digits=5)),
                        ("max_open_orders", models.PositiveIntegerField()),
                        (
                            "max_position_value",
                            models.DecimalField(
                                decimal_places=2, help_text="Per instrument, at the order's price.", max_digits=20
                            ),
                        ),
                        (
                            "max_gross_exposure",
                            models.DecimalField(
                                decimal_places=2, help_text="All positions and open orders together.", max_digits=20
                            ),
                        ),
                        ("max_orders_per_second", models.PositiveIntegerField()),
                        ("max_orders_per_minute", models.PositiveIntegerField()),
                        ("max_orders_per_day", models.PositiveIntegerField()),
                        (
                            "daily_loss_limit",
                            models.DecimalField(
                                decimal_places=2,
                                help_text="Realised + unrealised P&L since the day began.",
                                max_digits=20,
                            ),
                        ),
                        (
                            "square_off_on_daily_loss",
                            models.BooleanField(
                                default=False, help_text="Square everything off when the daily loss limit is reached."
                            ),
                        ),
                        ("allowed_exchanges", models.JSONField(blank=True, default=list)),
                        ("allowed_products", models.JSONField(blank=True, default=list)),
                        (
                            "allowed_instrument_classes",
                            models.JSONField(blank=True, default=list, help_text="equity, futures, options"),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("ACTIVE", "Active"),
                                    ("REDUCING", "Reducing only (orders that reduce a position)"),
                                    ("HALTED", "Halted (cancels only)"),
                                ],
                                default="ACTIVE",
                                max_length=8,
                            ),
                        ),
                        (
                            "state_code",
                            models.CharField(
                                blank=True, help_text="Why, as a code: risk_daily_loss_limit, ...", max_length=64
                            ),
                        ),
                        ("state_reason", models.CharField(blank=True, max_length=200)),
                        ("state_changed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "reactivate_after",
                            models.DateTimeField(
                                blank=True,
                                help_text="The trader may reactivate from this time; empty: an admin must.",
                                null=True,
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "account",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="risk_profile",
                                to="accounts.tradingaccount",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_riskprofile",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, unrelabel_content_types),
    ]
