"""/accounts/notifications/: the trader chooses events and channels for the account chosen in the switcher,
and sends a test."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.chosen import request_account
from core.errors import DomainError
from core.forms import form_add_domain_error

from .models import Delivery
from .services import EVENT_LABELS, notification_test_send, preferences_get, preferences_update


class PreferencesForm(forms.Form):
    events = forms.MultipleChoiceField(
        choices=list(EVENT_LABELS.items()), widget=forms.CheckboxSelectMultiple, required=False, label="Tell me about"
    )
    channels = forms.MultipleChoiceField(
        choices=Delivery.Channel.choices, widget=forms.CheckboxSelectMultiple, required=False, label="By"
    )
    email = forms.EmailField(required=False, label="Email address", help_text="Empty: your account's address.")
    webhook_url = forms.URLField(required=False, max_length=500, label="Webhook URL", assume_scheme="https")
    telegram_chat_id = forms.RegexField(r"^-?[0-9]{1,20}$", required=False, label="Telegram chat id")
    new_webhook_secret = forms.BooleanField(required=False, label="Make a new webhook signing secret")
    in_app_fills = forms.BooleanField(required=False, label="Show a notice on the dashboard when an order fills")


def _page(request, form, *, secret: str | None = None, status: int = 200):
    account = request_account(request)
    pref = preferences_get(user=request.user, account=account)
    context = {"form": form, "secret": secret, "pref": pref, "account": account}
    return render(request, "notifications/preferences.html", context, status=status)


@login_required
def notifications_page(request):
    pref = preferences_get(user=request.user, account=request_account(request))
    if request.method != "POST":
        fields = ("events", "channels", "email", "webhook_url", "telegram_chat_id", "in_app_fills")
        initial = {f: getattr(pref, f) for f in fields}
        return _page(request, PreferencesForm(initial=initial))
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        account = request_account(request)
        _, secret = preferences_update(user=request.user, account=account, **form.cleaned_data)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _page(request, form, status=422)
    messages.success(request, "Notification settings saved.")
    return _page(request, form, secret=secret)


@login_required
@require_POST
def notifications_test(request):
    count = notification_test_send(user=request.user, account=request_account(request))
    if count:
        messages.success(request, f"Test sent on {count} channel(s); it arrives in a few seconds.")
    else:
        messages.warning(request, "Choose at least one channel (and save) first.")
    return redirect("notifications:preferences")
