from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The platform's user. Custom from the first migration so it can grow."""

    email = models.EmailField(blank=True, db_index=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class TradingAccount(models.Model):
    """A user's account at a broker. Orders, positions and funds hang off it."""

    class Mode(models.TextChoices):
        PAPER = "paper", "Paper (simulated exchange)"
        LIVE = "live", "Live (real broker)"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="trading_account")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.PAPER)
    broker = models.CharField(max_length=16, default="paper", help_text="Broker registry key: paper, angelone.")
    always_open = models.BooleanField(
        default=False,
        help_text="Paper accounts only: accept orders outside market hours (demo setting).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user.username} ({self.mode})"
