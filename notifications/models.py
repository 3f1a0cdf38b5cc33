"""Trader notifications: what each trader hears about and where, and every message sent (also the operator
alerts' messages, which monitoring hands over as events)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import TradingAccount
from monitoring.models import Alert


class Notification(models.Model):
    """Something the trader must know at once (a late rejection, a lost session), shown on the dashboard.

    It belongs to the trading account it is about (None: to the user, whichever account is chosen). The
    order it is about is a plain id: notifications sits below orders and holds no key into its tables.
    """

    class Level(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    account = models.ForeignKey(TradingAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    code = models.CharField(max_length=64)
    message = models.CharField(max_length=400)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="The order it is about.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders_notification"  # made by orders before notices were the notifications app's
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread", condition=Q(read_at=None))]

    def __str__(self) -> str:
        return f"{self.user_id} {self.code}: {self.message[:40]}"


class NotificationPreference(models.Model):
    """Which events a trader hears about on one of their trading accounts, and where.

    One row per account; a user who has no trading account yet keeps one row without an account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.OneToOneField(TradingAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    events = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    email = models.EmailField(blank=True, help_text="Empty: the account's address.")
    webhook_url = models.URLField(blank=True, max_length=500)
    webhook_secret = models.TextField(blank=True, editable=False)  # Fernet ciphertext (FIELD_ENCRYPTION_KEY)
    telegram_chat_id = models.CharField(max_length=32, blank=True)
    # The dashboard's own notice (a toast on whichever page is open), not a delivery: on until the trader says not.
    in_app_fills = models.BooleanField(default=True, help_text="A notice on the dashboard when an order fills.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "monitoring_notificationpreference"  # made by monitoring before notifications was an app
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(account=None), name="notification_preference_one_without_account"
            )
        ]

    def __str__(self) -> str:
        return f"notification preferences of user {self.user_id}, account {self.account_id}"


class Delivery(models.Model):
    """One message to one place, sent by a Celery task; failures are recorded, never raised to the sender."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"
        TELEGRAM = "telegram", "Telegram"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    account = models.ForeignKey(TradingAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    target = models.CharField(max_length=500, help_text="Address, URL or chat id.")
    subject = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, validators=[MinValueValidator(0)])
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        db_table = "monitoring_delivery"
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} to {self.target[:40]}"


class StreamEvent(models.Model):
    """One private event of the live stream (an order's change, the funds, a position, a notice), kept for a
    while so that a client that lost its connection can resume from the last sequence number it saw.

    `seq` counts per user from 1 without gaps (StreamCursor hands them out), so a client can tell that it
    missed something; rows older than STREAM_RESUME_SECONDS are deleted (a resume from before them is told
    to reload instead).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()
    topic = models.CharField(max_length=16)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "seq"], name="stream_event_user_seq")]

    def __str__(self) -> str:
        return f"{self.user_id}#{self.seq} {self.topic}"


class StreamCursor(models.Model):
    """The last sequence number handed out to a user's private events (one row per user, locked to count)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_seq = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_seq}"
