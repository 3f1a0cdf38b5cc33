from django.contrib import admin, messages
from django.template.loader import render_to_string

from core.errors import DomainError
from core.formatting import price, rupees

from .latency import order_latency
from .models import (
    ExternalOrder,
    Funds,
    LedgerEntry,
    Order,
    OrderEvent,
    Position,
    PositionMismatch,
    Trade,
)
from .services import order_cancel


def _money(field: str, label: str, *, signed: bool = False):
    """An admin column showing a money field as traders read it: ₹12,34,567.50 (sortable by the field)."""

    @admin.display(description=label, ordering=field)
    def column(self, obj):
        return rupees(getattr(obj, field), signed=signed)

    column.__name__ = f"{field}_rupees"
    return column


def _price(field: str, label: str):
    @admin.display(description=label, ordering=field)
    def column(self, obj):
        return price(getattr(obj, field))

    column.__name__ = f"{field}_shown"
    return column


class ReadOnlyMixin:
    """Money and fills are written by services only: editing a row here would break the ledger."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderEventInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderEvent
    fields = ("at", "from_status", "to_status", "reason", "actor", "data")
    readonly_fields = fields
    extra = 0
    ordering = ("at", "id")


class TradeInline(ReadOnlyMixin, admin.TabularInline):
    model = Trade
    fields = ("executed_at", "quantity", "price_shown", "broker_trade_id")
    readonly_fields = fields
    price_shown = _price("price", "price")
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "user",
        "instrument",
        "side",
        "quantity",
        "filled_quantity",
        "order_type",
        "product",
        "price_shown",
        "status",
        "reserved_rupees",
        "client_order_id",
    )
    price_shown = _price("price", "price")
    reserved_rupees = _money("reserved_amount", "reserved")
    list_filter = ("status", "side", "order_type", "product", "source", "created_at")
    search_fields = ("=id", "client_order_id", "broker_order_id", "user__username", "instrument__symbol")
    list_select_related = ("user", "instrument")
    raw_id_fields = ("user", "account", "instrument")
    date_hierarchy = "created_at"
    inlines = [OrderEventInline, TradeInline]
    actions = ["cancel_orders"]
    readonly_fields = ("latency",)

    @admin.display(description="latency by step")
    def latency(self, obj):
        return render_to_string("orders/_latency.html", {"latency": order_latency(order=obj)})

    @admin.action(description="Cancel the selected orders (through the broker)", permissions=["view"])
    def cancel_orders(self, request, queryset):
        done, refused = 0, []
        for order in queryset.select_related("user"):
            try:
                order_cancel(
                    user=order.user,
                    order=order,
                    reason="Cancelled by an administrator",
                    actor=f"admin:{request.user.username}",
                )
                done += 1
            except DomainError as exc:
                refused.append(f"#{order.id}: {exc.message}")
        if done:
            self.message_user(request, f"Cancellation requested for {done} orders.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)


@admin.register(Trade)
class TradeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "executed_at",
        "order",
        "account",
        "instrument",
        "side",
        "product",
        "quantity",
        "price_shown",
        "value",
    )
    price_shown = _price("price", "price")

    @admin.display(description="value")
    def value(self, obj):
        return rupees(obj.quantity * obj.price)

    list_filter = ("side", "product", "executed_at")
    search_fields = ("=order__id", "broker_trade_id", "account__user__username", "instrument__symbol")
    list_select_related = ("order", "account__user", "instrument")
    date_hierarchy = "executed_at"


@admin.register(Position)
class PositionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("account", "instrument", "product", "net_quantity", "average_shown", "realised", "updated_at")
    average_shown = _price("average_price", "average price")
    realised = _money("realised_pnl", "realised P&L", signed=True)
    list_filter = ("product",)
    search_fields = ("account__user__username", "instrument__symbol")
    list_select_related = ("account__user", "instrument")


class LedgerInline(ReadOnlyMixin, admin.TabularInline):
    model = LedgerEntry
    fk_name = "account"
    fields = ("created_at", "kind", "amount_rupees", "balance_rupees", "note")
    readonly_fields = fields
    amount_rupees = _money("amount", "amount", signed=True)
    balance_rupees = _money("balance_after", "balance after")
    extra = 0
    ordering = ("-created_at", "-id")


@admin.register(Funds)
class FundsAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("account", "cash_rupees", "reserved_rupees", "margin_rupees", "available", "updated_at")
    search_fields = ("account__user__username",)
    list_select_related = ("account__user",)
    cash_rupees = _money("cash", "cash")
    reserved_rupees = _money("reserved", "reserved for orders")
    margin_rupees = _money("margin_used", "margin used")

    @admin.display(description="available")
    def available(self, obj):
        return rupees(obj.available)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "account", "kind", "amount_rupees", "balance_rupees", "note")
    amount_rupees = _money("amount", "amount", signed=True)
    balance_rupees = _money("balance_after", "balance after")
    list_filter = ("kind", "created_at")
    search_fields = ("account__user__username", "note")
    list_select_related = ("account__user",)
    date_hierarchy = "created_at"


@admin.register(ExternalOrder)
class ExternalOrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Orders found at the broker that the platform did not place (the broker's own app)."""

    list_display = (
        "first_seen_at",
        "account",
        "broker_order_id",
        "symbol",
        "side",
        "quantity",
        "filled_quantity",
        "price",
        "status",
        "message",
    )
    list_filter = ("status", "side", "exchange")
    search_fields = ("broker_order_id", "symbol", "account__user__username")
    list_select_related = ("account__user",)


@admin.register(PositionMismatch)
class PositionMismatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "detected_at",
        "account",
        "symbol",
        "product",
        "platform_quantity",
        "broker_quantity",
        "platform_average",
        "broker_average",
        "last_seen_at",
        "resolved_at",
    )
    list_filter = ("product", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("symbol", "account__user__username")
    list_select_related = ("account__user",)


from . import admin_risk  # noqa: E402, F401 - registers the risk models (their actions are orders' services)
