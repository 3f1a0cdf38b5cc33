"""Every dashboard notice and delivery (read-only), and the preferences of each trading account (the webhook
secret never shown)."""

from django.contrib import admin
from django.db import models

from .models import Delivery, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Written by services only (the trader dismisses them on the dashboard)."""

    list_display = ("created_at", "user", "account", "level", "code", "message", "order_id", "read_at")
    list_filter = ("level", "code")
    search_fields = ("user__username", "message", "=order_id")
    list_select_related = ("user", "account")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "event",
        "account",
        "target",
        "status",
        "attempts",
        "last_error",
        "sent_at",
    )
    list_filter = ("status", "channel", "event")
    search_fields = ("target", "event", "user__username")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "account", "events", "channels", "updated_at")
    search_fields = ("user__username", "account__name")
    list_select_related = ("user", "account")
    exclude = ("webhook_secret",)  # never shown; the trader makes a new one on their page
    readonly_fields = ("user", "account", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request) -> bool:
        return False
