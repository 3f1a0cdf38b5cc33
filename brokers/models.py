"""The paper exchange's own books. The platform's orders live in the orders app;
these rows are what the simulated exchange knows, as a real broker would."""

from django.db import models
from django.db.models import Q

from accounts.models import TradingAccount
from core.crypto import EncryptedTextField
from marketdata.models import Instrument


class PaperOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        TRIGGER_PENDING = "trigger_pending"
        COMPLETE = "complete"
        CANCELLED = "cancelled"
        REJECTED = "rejected"

    LIVE = (Status.OPEN, Status.TRIGGER_PENDING)

    account_id = models.BigIntegerField(db_index=True)
    tag = models.CharField(max_length=20)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4)
    quantity = models.PositiveIntegerField()
    order_type = models.CharField(max_length=6)
    product = models.CharField(max_length=4)
    validity = models.CharField(max_length=3)
    price = models.DecimalField(max_digits=18, decimal_places=6, null=True)
    trigger_price = models.DecimalField(max_digits=18, decimal_places=6, null=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    filled_quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(max_digits=18, decimal_places=6, null=True)
    message = models.CharField(max_length=200, blank=True)
    # The matching engine (in the feed process) loads rows it has not seen since they changed.
    engine_synced = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A retried placement with the same tag finds the first order: never two.
            models.UniqueConstraint(fields=["account_id", "tag"], name="paper_order_account_tag"),
        ]
        indexes = [
            models.Index(fields=["engine_synced"], condition=Q(engine_synced=False), name="paper_order_unsynced"),
            models.Index(fields=["status"], condition=Q(status__in=["open", "trigger_pending"]), name="paper_live"),
        ]

    def __str__(self) -> str:
        return f"paper {self.id} {self.tag} {self.status}"


class PaperFill(models.Model):
    order = models.ForeignKey(PaperOrder, on_delete=models.CASCADE, related_name="fills")
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=18, decimal_places=6)
    executed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"fill {self.id} {self.quantity}@{self.price}"


class BrokerAccount(models.Model):
    """A trading account's credentials and session at a real broker (one per trading account).

    Credentials are write-only: they are encrypted at rest, never shown, never
    returned by the API and never logged. The session (tokens, the IST day it
    belongs to) lives here too so that every worker process reuses one login.
    """

    class Status(models.TextChoices):
        NEW = "new", "Not connected yet"
        CONNECTED = "connected", "Connected"
        DISCONNECTED = "disconnected", "Disconnected: log in again"

    SECRET_FIELDS = ("api_key", "pin", "totp_secret")
    TOKEN_FIELDS = ("jwt_token", "refresh_token", "feed_token")

    account = models.OneToOneField(TradingAccount, on_delete=models.CASCADE, related_name="broker_account")
    broker = models.CharField(max_length=16, default="angelone")
    client_code = models.CharField(max_length=32)
    api_key = EncryptedTextField(blank=True)
    pin = EncryptedTextField(blank=True)
    totp_secret = EncryptedTextField(blank=True)
    static_ip = models.GenericIPAddressField(
        null=True, blank=True, help_text="The static IP registered with the broker: it refuses orders from others."
    )
    jwt_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    feed_token = EncryptedTextField(blank=True)
    session_day = models.DateField(null=True, blank=True, help_text="IST day of the session (it ends at midnight).")
    # Bumped at every new session: a process can tell whether the token it holds is still the current one.
    session_version = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    status_message = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["broker", "client_code"], name="broker_account_client_code")]

    def __str__(self) -> str:
        return f"{self.broker} {self.client_code} ({self.status})"

    def __repr__(self) -> str:
        return f"<BrokerAccount {self.pk} {self.broker} {self.client_code} {self.status}>"

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_code and self.api_key and self.pin and self.totp_secret)
