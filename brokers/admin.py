from django import forms
from django.contrib import admin

from .models import BrokerAccount, PaperFill, PaperOrder

MASK = "••••••••"


class PaperFillInline(admin.TabularInline):
    model = PaperFill
    fields = ("executed_at", "quantity", "price")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaperOrder)
class PaperOrderAdmin(admin.ModelAdmin):
    """The simulated exchange's own book: what the 'broker' knows. Read-only."""

    list_display = ("id", "tag", "account_id", "instrument", "side", "quantity", "order_type", "price", "status")
    list_filter = ("status", "order_type", "side")
    search_fields = ("tag", "=account_id", "instrument__symbol")
    list_select_related = ("instrument",)
    readonly_fields = [f.name for f in PaperOrder._meta.fields]
    inlines = [PaperFillInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BrokerAccountForm(forms.ModelForm):
    """Secrets are write-only: the inputs never show the stored value; blank keeps it."""

    api_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False), strip=True)
    pin = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False), strip=True)
    totp_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False), strip=True)

    class Meta:
        model = BrokerAccount
        fields = ("account", "broker", "client_code", "static_ip", "api_key", "pin", "totp_secret")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in BrokerAccount.SECRET_FIELDS:
            self.initial[name] = ""  # never pre-filled
            stored = bool(self.instance.pk and getattr(self.instance, name))
            self.fields[name].help_text = "Stored (leave blank to keep it)." if stored else "Not set."

    def clean(self):
        cleaned = super().clean()
        for name in BrokerAccount.SECRET_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)  # blank keeps the stored secret
        return cleaned


@admin.register(BrokerAccount)
class BrokerAccountAdmin(admin.ModelAdmin):
    form = BrokerAccountForm
    list_display = ("client_code", "broker", "account", "status", "session_day", "static_ip", "credentials")
    list_filter = ("broker", "status")
    search_fields = ("client_code", "account__user__username")
    list_select_related = ("account__user",)
    readonly_fields = ("status", "status_message", "status_changed_at", "session_day", "session", "updated_at")
    exclude = (*BrokerAccount.TOKEN_FIELDS, "session_version")

    @admin.display(description="credentials")
    def credentials(self, obj: BrokerAccount) -> str:
        return " ".join(f"{name}: {MASK if getattr(obj, name) else 'not set'}" for name in BrokerAccount.SECRET_FIELDS)

    @admin.display(description="session tokens")
    def session(self, obj: BrokerAccount) -> str:
        return MASK if obj.jwt_token else "none"

    def save_model(self, request, obj, form, change):
        from .services import _reset_session

        changed = [name for name in ("client_code", *BrokerAccount.SECRET_FIELDS) if name in form.changed_data]
        if change and any(form.cleaned_data.get(name) for name in changed):
            # New credentials: the old session and any "disconnected" verdict no longer apply.
            _reset_session(obj, status=BrokerAccount.Status.NEW, message="")
        super().save_model(request, obj, form, change)
