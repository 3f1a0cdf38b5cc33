"""Dashboard: the trader's broker page (connect, log in now, disconnect, paper/live), the notices banner
(the chosen account's notices, kept by notifications, beside its broker's state),
and the external orders beside the order book. The same services as the API."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.chosen import request_account
from brokers import services as broker_services
from brokers.gate import broker_health
from brokers.models import BrokerAccount
from brokers.network import ip_check
from core.errors import DomainError
from core.forms import form_add_domain_error
from core.inputs import ids_parse
from notifications.services import notifications_mark_read, notifications_unread_for

from . import selectors, services

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class CredentialsForm(forms.Form):
    client_code = forms.CharField(max_length=32, label="Client code")
    static_ip = forms.GenericIPAddressField(protocol="IPv4", required=False, label="Registered static IP")
    # Write-only: never pre-filled, blank keeps what is stored.
    api_key = forms.CharField(max_length=200, required=False, widget=SECRET, label="API key")
    pin = forms.CharField(max_length=32, required=False, widget=SECRET, label="PIN")
    totp_secret = forms.CharField(max_length=128, required=False, widget=SECRET, label="TOTP secret")


def _broker_account(request) -> BrokerAccount | None:
    account = request_account(request)
    return BrokerAccount.objects.filter(account=account).first() if account is not None else None


def _page(request, form: CredentialsForm | None = None, status: int = 200):
    account = request_account(request)
    row = _broker_account(request)
    initial = {"client_code": row.client_code, "static_ip": row.static_ip} if row else {}
    context = {
        "account": account,
        "row": row,
        "form": form or CredentialsForm(initial=initial),
        "health": broker_health(account) if account else None,
        "ip": ip_check(registered=row.static_ip) if row and row.static_ip else None,
    }
    return render(request, "orders/broker.html", context, status=status)


@login_required
@require_GET
def broker_page(request):
    return _page(request)


@login_required
@require_POST
def broker_save_view(request):
    form = CredentialsForm(request.POST)
    account = request_account(request)
    if account is None or not form.is_valid():
        return _page(request, form, status=422)
    try:
        broker_services.broker_account_save(account=account, **form.cleaned_data)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _page(request, form, status=422)
    messages.success(request, "Credentials saved. Log in now to test them.")
    return redirect("orders:broker")


@login_required
@require_POST
def broker_connect_view(request):
    row = _broker_account(request)
    if row is None:
        messages.error(request, "Save your credentials first.")
        return redirect("orders:broker")
    row = broker_services.broker_account_connect(broker_account=row)
    if row.status == BrokerAccount.Status.CONNECTED:
        messages.success(request, "Logged in to Angel One.")
    else:
        messages.error(request, f"Log in failed: {row.status_message or 'no answer from the broker'}")
    return redirect("orders:broker")


@login_required
@require_POST
def broker_disconnect_view(request):
    row = _broker_account(request)
    if row is not None:
        broker_services.broker_account_disconnect(broker_account=row)
        messages.success(request, "Disconnected: no call is made to the broker until you log in again.")
    return redirect("orders:broker")


@login_required
@require_POST
def account_mode_view(request):
    account = request_account(request)
    try:
        services.trading_account_switch_mode(user=request.user, account=account, mode=request.POST.get("mode", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The account now trades {request.POST['mode'].upper()}.")
    return redirect("orders:broker")


def _notices(request):
    """Unread notices, and the broker's state when it stops live trading (down, disconnected)."""
    account = request_account(request)
    health = broker_health(account) if account and account.mode == "live" else None
    notices = list(notifications_unread_for(user=request.user, account=account)[:5])
    return render(request, "orders/_notices.html", {"notices": notices, "health": health, "account": account})


@login_required
@require_GET
def notices_partial(request):
    return _notices(request)


@login_required
@require_POST
def notices_read_view(request):
    ids = ids_parse(request.POST.getlist("id"))
    notifications_mark_read(user=request.user, account=request_account(request), notification_ids=ids or None)
    return _notices(request)


@login_required
@require_GET
def external_orders_partial(request):
    rows = selectors.external_orders_for_user(user=request.user, account=request_account(request))[:50]
    return render(request, "orders/_external_orders.html", {"rows": rows})
