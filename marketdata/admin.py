from django.contrib import admin

from .models import Candle, FeedStatus, Instrument, Quote, WatchlistItem


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the feed and the importers only; editing here would corrupt history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = (
        "symbol",
        "exchange",
        "name",
        "token",
        "instrument_type",
        "lot_size",
        "tick_size",
        "expiry",
        "is_active",
    )
    list_filter = ("exchange", "instrument_type", "is_active", "expiry")
    search_fields = ("symbol", "name", "=token")
    ordering = ("exchange", "symbol")
    readonly_fields = ("import_generation", "updated_at")
    list_per_page = 100
    show_full_result_count = False  # a count(*) over 150,000 rows on every page is wasted work


@admin.register(Candle)
class CandleAdmin(ReadOnlyAdmin):
    list_display = ("instrument", "interval", "start", "open", "high", "low", "close", "volume")
    list_filter = ("interval",)
    search_fields = ("instrument__symbol",)
    raw_id_fields = ("instrument",)
    list_select_related = ("instrument",)
    date_hierarchy = "start"
    show_full_result_count = False


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = ("instrument", "ltp", "bid", "ask", "close", "volume", "timestamp")
    search_fields = ("instrument__symbol",)
    list_select_related = ("instrument",)


@admin.register(FeedStatus)
class FeedStatusAdmin(ReadOnlyAdmin):
    list_display = ("source", "pid", "started_at", "heartbeat_at", "last_tick_at", "ticks_total", "instruments")


@admin.register(WatchlistItem)
class WatchlistItemAdmin(admin.ModelAdmin):
    list_display = ("user", "instrument", "position", "added_at")
    search_fields = ("user__username", "instrument__symbol")
    raw_id_fields = ("user", "instrument")
    list_select_related = ("user", "instrument")
