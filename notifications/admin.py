"""Every delivery (read-only), and the traders' preferences (the webhook secret never shown)."""

from django.contrib import admin
from django.db import models

from .models import Delivery, NotificationPreference


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "event", "target", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "channel", "event")
    search_fields = ("target", "event", "user__username")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "events", "channels", "updated_at")
    search_fields = ("user__username",)
    exclude = ("webhook_secret",)  # never shown; the trader makes a new one on their page
    readonly_fields = ("user", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request) -> bool:
        return False
