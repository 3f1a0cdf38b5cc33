"""Alert rules (editable) and their history with an acknowledge action. (Deliveries: the notifications admin.)"""

from django import forms
from django.contrib import admin, messages
from django.db import models

from .alerting import alert_acknowledge
from .conditions import condition_choices
from .models import Alert, AlertRule


class AlertRuleForm(forms.ModelForm):
    condition = forms.ChoiceField(choices=condition_choices)
    webhook_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "condition",
            "threshold",
            "duration_seconds",
            "severity",
            "emails",
            "webhook_url",
            "repeat_interval_seconds",
            "enabled",
        ]


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = (
        "name",
        "condition",
        "threshold",
        "duration_seconds",
        "severity",
        "enabled",
        "last_value",
        "last_evaluated_at",
    )
    list_filter = ("enabled", "severity", "condition")
    search_fields = ("name", "condition")
    readonly_fields = ("pending_since", "last_value", "last_evaluated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "rule",
        "fired_at",
        "resolved_at",
        "value",
        "last_notified_at",
        "acknowledged_by",
        "acknowledged_at",
    )
    list_filter = ("rule__severity", ("resolved_at", admin.EmptyFieldListFilter), "rule")
    search_fields = ("rule__name",)
    list_select_related = ("rule", "acknowledged_by")
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = ["acknowledge"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Acknowledge the selected alerts")
    def acknowledge(self, request, queryset) -> None:
        count = alert_acknowledge(alert_ids=list(queryset.values_list("id", flat=True)), user=request.user)
        self.message_user(request, f"{count} alert(s) acknowledged.", messages.SUCCESS)
