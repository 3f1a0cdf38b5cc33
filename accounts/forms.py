from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from core.errors import DomainError, RateLimited
from core.forms import IntegerField

from . import services
from .models import ApiKey


class LoginForm(AuthenticationForm):
    """Django's login form, checking credentials through the same service as the API."""

    retry_after: float | None = None  # set when the attempt was refused by the rate limit

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            try:
                self.user_cache = services.user_authenticate(request=self.request, username=username, password=password)
            except DomainError as exc:
                if isinstance(exc, RateLimited):
                    self.retry_after = exc.retry_after
                raise forms.ValidationError(exc.message, code=exc.code) from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's login: the same rate limit and lockout as every other login, then the staff check."""


class ApiKeyForm(forms.Form):
    """The dashboard's form for a new API key; the rules are the service's, as for the API."""

    name = forms.CharField(max_length=64, label="Name", help_text="e.g. my-bot, or the machine it runs on.")
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[ApiKey.Scope.READ], label="Scopes"
    )
    live_allowed = forms.BooleanField(required=False, label="May trade when the account is live")
    expires_in_days = IntegerField(
        min_value=1, max_value=3650, required=False, label="Expires after (days)", help_text="Blank: never."
    )
    allowed_ips = forms.CharField(
        required=False,
        max_length=2000,
        label="Allowed addresses",
        help_text="IP addresses or CIDR networks, separated by commas or spaces. Blank: any.",
    )

    def clean_allowed_ips(self) -> list[str]:
        return self.cleaned_data["allowed_ips"].replace(",", " ").split()
