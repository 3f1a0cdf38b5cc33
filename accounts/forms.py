from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.errors import DomainError, RateLimited

from . import services


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
