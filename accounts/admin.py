import csv

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponse

from core import clock

from .models import ApiKey, LoginLockout, SecurityEvent, TradingAccount, User
from .services import lockout_clear
from .services.security import security_event_record


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    actions = ["unlock_logins"]

    @admin.action(description="Unlock logins of the selected users (after too many failed logins)")
    def unlock_logins(self, request, queryset):
        count = lockout_clear(usernames=queryset.values_list("username", flat=True))
        self.message_user(request, f"Unlocked {count} account(s).")


@admin.register(TradingAccount)
class TradingAccountAdmin(admin.ModelAdmin):
    """Paper or live is the trader's switch (the Broker page), which refuses while orders are open or positions
    held and takes the account's lock: flipped here, an open order would move between the two worlds. The name
    and which account is the default are the trader's too (accounts.services.trading_accounts keeps one default)."""

    list_display = ("user", "name", "mode", "broker", "is_default", "always_open", "created_at")
    readonly_fields = ("name", "is_default", "mode", "broker")
    list_filter = ("mode", "broker", "always_open")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by their owners (dashboard or API); here they are looked at and revoked. No digest shown."""

    list_display = ("name", "user", "prefix", "scopes", "live_allowed", "expires_at", "last_used_at", "last_used_ip")
    list_display += ("revoked_at", "created_at")
    list_filter = ("live_allowed", ("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "scopes", "account_ids", "live_allowed", "expires_at", "allowed_ips")
    fields += ("last_used_at", "last_used_ip", "revoked_at", "created_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # a key made here could never be shown to its owner

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoked_at = clock.now()
            key.save(update_fields=["revoked_at"])  # one by one, so auditlog records each
            detail = {"key": key.prefix, "name": key.name, "by": request.user.get_username()}
            security_event_record(kind=SecurityEvent.Kind.API_KEY_REVOKED, user=key.user, detail=detail)
            count += 1
        self.message_user(request, f"Revoked {count} key(s).")


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Failed logins and locks per username (made by the login service), with where they came from and why
    the last lock happened; an admin may unlock at once."""

    list_display = ("username", "failures", "address_count", "lockouts", "locked_until", "last_failure_at")
    list_display += ("last_failure_ip",)
    list_filter = (("locked_until", admin.EmptyFieldListFilter),)
    search_fields = ("username", "last_failure_ip", "lock_reason")
    fields = ("username", "failures", "failures_by_address", "lockouts", "locked_until", "lock_reason")
    fields += ("last_failure_at", "last_failure_ip")
    readonly_fields = fields
    actions = ["unlock"]

    @admin.display(description="Addresses")
    def address_count(self, row: LoginLockout) -> int:
        return len(row.addresses)

    @admin.display(description="Failures by address (since the last success or lock)")
    def failures_by_address(self, row: LoginLockout) -> str:
        busiest = sorted(row.addresses.items(), key=lambda item: -item[1])
        return ", ".join(f"{address} ({count})" for address, count in busiest) or "-"

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Unlock the selected accounts (clear their failed logins)")
    def unlock(self, request, queryset):
        count = lockout_clear(usernames=queryset.values_list("username", flat=True))
        self.message_user(request, f"Unlocked {count} account(s).")


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the security log is append-only (and hash-chained: `manage.py verify_audit`)."""

    list_display = ("created_at", "kind", "username", "user_id", "ip", "request_id")
    list_filter = ("kind", "created_at")
    search_fields = ("username", "ip", "request_id", "user_agent")
    date_hierarchy = "created_at"
    fields = ("created_at", "kind", "user_id", "username", "ip", "user_agent", "request_id", "detail")
    fields += ("prev_hash", "hash")
    readonly_fields = fields
    actions = ["export_csv"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Export the selected events as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="security-events.csv"'
        writer = csv.writer(response)
        columns = ["id", "created_at", "kind", "user_id", "username", "ip", "user_agent", "request_id", "detail"]
        writer.writerow(columns)
        for row in queryset.order_by("id").values_list(*columns):
            writer.writerow([_csv_safe(value) for value in row])
        return response


def _csv_safe(value) -> str:
    """Text a spreadsheet will not run as a formula (a user agent or username is the caller's to choose)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
