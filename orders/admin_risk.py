"""Admins tune risk profiles (with history), halt and reactivate accounts, and hold the platform-wide switch.

Registered by orders, not risk: the admin's kill switch cancels orders and squares off, and the platform switch
is copied onto every account's books; those are orders' services. The pages are under /admin/risk/."""

from django.contrib import admin, messages

from core.errors import DomainError
from risk.models import PlatformRisk, RiskEvent, RiskProfile
from risk.services import trading_state_reactivate

from .services.risk_actions import kill_switch_activate, platform_halt, platform_resume, risk_limits_update


@admin.register(RiskProfile)
class RiskProfileAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "state",
        "state_reason",
        "daily_loss_limit",
        "max_order_value_equity",
        "max_orders_per_second",
        "updated_at",
    )
    list_filter = ("state",)
    search_fields = ("account__user__username",)
    readonly_fields = ("account", "state", "state_code", "state_reason", "state_changed_at", "reactivate_after")
    actions = ("halt_accounts", "halt_and_square_off", "reactivate_accounts")
    fieldsets = (
        (
            "Account",
            {"fields": ("account", "state", "state_code", "state_reason", "state_changed_at", "reactivate_after")},
        ),
        (
            "Per order",
            {
                "fields": (
                    "max_order_value_equity",
                    "max_order_value_futures",
                    "max_order_value_options",
                    "max_quantity_equity",
                    "max_quantity_futures",
                    "max_quantity_options",
                )
            },
        ),
        (
            "Price band (% from the last price)",
            {"fields": ("price_band_pct_equity", "price_band_pct_futures", "price_band_pct_options")},
        ),
        ("Exposure", {"fields": ("max_open_orders", "max_position_value", "max_gross_exposure")}),
        ("Order rate", {"fields": ("max_orders_per_second", "max_orders_per_minute", "max_orders_per_day")}),
        ("Daily loss", {"fields": ("daily_loss_limit", "square_off_on_daily_loss")}),
        ("Allowed", {"fields": ("allowed_exchanges", "allowed_products", "allowed_instrument_classes")}),
    )

    def has_add_permission(self, request):
        return False  # made with the account's first order, with the model's starting limits

    def save_model(self, request, obj, form, change):
        """Through the service: under the account's lock, only the changed limits, and the trader is told."""
        limits = {name: form.cleaned_data[name] for name in form.changed_data}
        risk_limits_update(account=obj.account, limits=limits, actor=f"admin:{request.user.username}")

    @admin.action(description="Kill switch: cancel open orders and halt (an admin must reactivate)")
    def halt_accounts(self, request, queryset, square_off=False):
        for profile in queryset.select_related("account__user"):
            kill_switch_activate(
                account=profile.account, actor=f"admin:{request.user.username}", square_off=square_off, by_admin=True
            )
        self.message_user(request, f"Halted {queryset.count()} account(s).", messages.WARNING)

    @admin.action(description="Kill switch and square off every position")
    def halt_and_square_off(self, request, queryset):
        self.halt_accounts(request, queryset, square_off=True)

    @admin.action(description="Reactivate (back to ACTIVE)")
    def reactivate_accounts(self, request, queryset):
        for profile in queryset.select_related("account"):
            try:
                trading_state_reactivate(account=profile.account, actor=f"admin:{request.user.username}", by_admin=True)
            except DomainError as exc:
                self.message_user(request, f"{profile.account}: {exc.message}", messages.ERROR)


@admin.register(RiskEvent)
class RiskEventAdmin(admin.ModelAdmin):
    list_display = ("at", "account", "kind", "code", "message", "actor")
    list_filter = ("kind", "code")
    search_fields = ("account__user__username", "code", "message")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlatformRisk)
class PlatformRiskAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reason", "changed_at", "changed_by")
    readonly_fields = ("halted", "reason", "changed_at", "changed_by")
    actions = ("halt_platform", "resume_platform")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        PlatformRisk.objects.get_or_create(pk=1)
        return super().get_queryset(request)

    @admin.action(description="Halt the whole platform: every account cancels and stops")
    def halt_platform(self, request, queryset):
        count = platform_halt(actor=f"admin:{request.user.username}", reason="Platform kill switch (admin)")
        self.message_user(request, f"Platform halted; {count} account(s) halted.", messages.WARNING)

    @admin.action(description="Resume the platform (accounts stay halted until reactivated)")
    def resume_platform(self, request, queryset):
        platform_resume(actor=f"admin:{request.user.username}")
        self.message_user(request, "Platform resumed.")
