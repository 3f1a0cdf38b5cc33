"""Backtests, sweeps and strategy runs for admins: read them, filter them; traders change them in the dashboard."""

from django.contrib import admin

from .models import Backtest, StrategyRun, Sweep


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StrategyRun)
class StrategyRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "strategy", "interval", "account_mode", "status", "started_at", "heartbeat_at")
    list_filter = ("status", "account_mode", "strategy", "interval")
    search_fields = ("user__username", "strategy")
    date_hierarchy = "created_at"


@admin.register(Backtest)
class BacktestAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "label", "strategy", "interval", "status", "progress", "created_at")
    list_filter = ("status", "strategy", "interval")
    search_fields = ("user__username", "label", "strategy")
    exclude = ("trades", "open_trades", "equity", "logs")  # large: read them in the dashboard or the API
    date_hierarchy = "created_at"


@admin.register(Sweep)
class SweepAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "label", "strategy", "mode", "status", "completed", "total", "created_at")
    list_filter = ("status", "mode", "strategy")
    search_fields = ("user__username", "label", "strategy")
    date_hierarchy = "created_at"
