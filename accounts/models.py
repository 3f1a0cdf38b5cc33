from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The platform's user. Custom from the first migration so it can grow."""

    email = models.EmailField(blank=True, db_index=True)
    # Logins (JWT token families) logged out while their access tokens may still be unexpired: family id ->
    # when the last of them expires (epoch seconds). On the row every API request loads anyway, so the check
    # costs no query (accounts.tokens); pruned at each logout, so it holds minutes' worth of logouts.
    revoked_token_families = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class TradingAccount(models.Model):
    """One of a user's accounts at a broker. Orders, positions and funds hang off it.

    A user may hold several (a paper and a live one side by side); exactly one is the default, which
    a request that names no account acts on (accounts.services.trading_accounts keeps it so).
    """

    class Mode(models.TextChoices):
        PAPER = "paper", "Paper (simulated exchange)"
        LIVE = "live", "Live (real broker)"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trading_accounts")
    name = models.CharField(max_length=40, default="Paper", help_text="The trader's name for it; unique per user.")
    is_default = models.BooleanField(default=True, help_text="The account a request that names none acts on.")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.PAPER)
    broker = models.CharField(max_length=16, default="paper", help_text="Broker registry key: paper, angelone.")
    always_open = models.BooleanField(
        default=False,
        help_text="Paper accounts only: accept orders outside market hours (demo setting).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="trading_account_name_unique"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="trading_account_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.name} ({self.mode})"


class ApiKey(models.Model):
    """A named key an integrator sends as `Authorization: Api-Key <key>`.

    Only a SHA-256 digest of the key is stored: the key is 256 random bits, so a
    plain digest cannot be reversed or guessed, and it is checked on every request
    without the cost of a password hash. `prefix` (the key's first part, not secret)
    finds the row and tells the owner which key is which.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read"
        TRADE = "trade", "Trade"
        # Owner actions a key may take: the broker credentials and where notifications go (core.api.OwnerAction).
        ACCOUNT = "account", "Account settings"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=64)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list, help_text='"read", and "trade" and/or "account".')
    live_allowed = models.BooleanField(default=False, help_text="False: refused any change while the account is live.")
    # The trading accounts the key may act on (ids: checked on every request without a query).
    account_ids = models.JSONField(
        default=list, blank=True, help_text="Trading account ids it may act on; empty: the owner's default account."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    allowed_ips = models.JSONField(default=list, blank=True, help_text="Addresses or CIDR networks; empty: any.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A revoked key's name may be given to a new one.
            models.UniqueConstraint(
                fields=["user", "name"], condition=models.Q(revoked_at__isnull=True), name="api_key_name_unique_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def status_at(self, moment) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= moment:
            return "expired"
        return "active"

    def may_act_on(self, account) -> bool:
        return account.pk in self.account_ids if self.account_ids else account.is_default

    @property
    def can_trade(self) -> bool:
        return self.Scope.TRADE in self.scopes


class LoginLockout(models.Model):
    """Failed logins for one username since its last success, where from, and the lock they led to
    (accounts.services.lockout: the lock needs failures from many addresses).

    Keyed by the lower-cased username as typed, whether or not such a user exists:
    an unknown name is refused exactly like a known one, so locks reveal nothing.
    """

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed logins since the last success or lock.")
    addresses = models.JSONField(
        default=dict, blank=True, help_text="Those failures per address (IPv6: per /64 network)."
    )
    lockouts = models.PositiveIntegerField(default=0, help_text="Locks in a row; each lasts twice the last.")
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_reason = models.CharField(
        max_length=500, blank=True, help_text="Why the last lock: its failures and the addresses they came from."
    )
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failure_at"]

    def __str__(self) -> str:
        return self.username


class AppendOnlyQuerySet(models.QuerySet):
    """Audit records are never changed or removed through the ORM (their hash chain would tell anyway)."""

    def update(self, **kwargs):
        raise PermissionError("Audit records are append-only.")

    def delete(self):
        raise PermissionError("Audit records are append-only.")


class AppendOnly(models.Model):
    """A row written once: saving it again or deleting it raises, one by one or as a queryset."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit records are append-only.")


class SecurityEvent(AppendOnly):
    """One security-relevant fact (a login, a key, a switch), appended to a hash chain.

    `hash` is HMAC-SHA256(AUDIT_CHAIN_KEY, previous row's hash + this row's canonical content), so a row
    changed or removed afterwards breaks the chain at that row (`manage.py verify_audit`).
    `user_id` is a plain number, not a foreign key: the record outlives the user.
    """

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "login.succeeded", "Login"
        LOGIN_FAILED = "login.failed", "Login failed"
        LOGOUT = "logout", "Logout"
        ACCOUNT_LOCKED = "account.locked", "Account locked"
        TOKEN_REFRESHED = "token.refreshed", "Token refreshed"
        PASSWORD_CHANGED = "password.changed", "Password changed"
        API_KEY_CREATED = "api_key.created", "API key created"
        API_KEY_REVOKED = "api_key.revoked", "API key revoked"
        API_KEY_NEW_IP = "api_key.new_ip", "API key used from a new address"
        BROKER_CONNECTED = "broker.connected", "Broker connected"
        BROKER_DISCONNECTED = "broker.disconnected", "Broker disconnected"
        MODE_SWITCHED = "mode.switched", "Paper/live switch"
        KILL_SWITCH = "kill_switch", "Kill switch"
        ADMIN_CHANGE = "admin.change", "Admin change"
        ALERT_ACKNOWLEDGED = "alert.acknowledged", "Alert acknowledged"

    GENESIS = "0" * 64

    created_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, unique=True)  # unique: the chain cannot fork
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user_id", "-id"], name="security_event_user")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"


class AuditSeal(AppendOnly):
    """The hash chain over django-auditlog's entries: one seal per entry, appended as the entry is written.

    `hash` is HMAC-SHA256(AUDIT_CHAIN_KEY, previous seal's hash + the entry's canonical content), so an entry
    changed, removed or slipped in afterwards no longer matches its seal (`manage.py verify_audit`).
    `entry_id` is a plain number, not a foreign key: the seal outlives a removed entry, which is how
    the removal shows.
    """

    GENESIS = "0" * 64

    entry_id = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64, unique=True)  # unique: the chain cannot fork
    hash = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"seal of audit entry {self.entry_id}"
