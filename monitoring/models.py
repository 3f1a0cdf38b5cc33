"""Operator alerts: rules and their history. (Their messages go out as notifications' deliveries.)"""

from django.conf import settings
from django.db import models


class AlertRule(models.Model):
    """Fires when the registered condition's value stays above `threshold` for `duration_seconds`."""

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    name = models.CharField(max_length=100, unique=True)
    condition = models.CharField(max_length=64, help_text="A condition key registered with monitoring.conditions.")
    threshold = models.DecimalField(max_digits=14, decimal_places=4, default=0, help_text="Fires above this value.")
    duration_seconds = models.PositiveIntegerField(default=0, help_text="How long the condition must hold.")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    emails = models.TextField(blank=True, help_text="Addresses to notify, comma or newline separated.")
    webhook_url = models.URLField(blank=True, max_length=500)
    repeat_interval_seconds = models.PositiveIntegerField(
        default=3600, help_text="Notify again this often while firing; 0: only once."
    )
    enabled = models.BooleanField(default=True)
    pending_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True, editable=False)
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def email_list(self) -> list[str]:
        return [a.strip() for a in self.emails.replace("\n", ",").split(",") if a.strip()]


class Alert(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    fired_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule"], condition=models.Q(resolved_at=None), name="alert_one_firing")
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} at {self.fired_at:%Y-%m-%d %H:%M}"
