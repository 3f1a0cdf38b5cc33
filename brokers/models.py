"""The paper exchange's own books. The platform's orders live in the orders app;
these rows are what the simulated exchange knows, as a real broker would."""

from django.db import models
from django.db.models import Q

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
