"""The Accounts page: the trader's trading accounts, opening another paper one, renaming one, choosing the
default and resetting a paper one (after a confirmation page that says what a reset does).

Here rather than in accounts for the reason the API's are (orders/api/accounts.py): opening an account opens
its funds and a reset cancels orders and clears positions. The dashboard's session is its owner's login, so
the owner actions an API key may not take (core.api.OwnerAction) are the trader's here: login, POST, CSRF.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services as account_services
from accounts.models import TradingAccount
from accounts.selectors import account_get_for_user, account_list_for_user
from core.errors import DomainError, NotFound
from core.formatting import inr
from core.forms import form_add_domain_error

from .. import selectors, services
from ..forms import AccountOpenForm, AccountRenameForm
from .common import request_account

PAGE = "orders/accounts.html"
RESET_PAGE = "orders/account_reset.html"


def _rename_form(account: TradingAccount, data=None) -> AccountRenameForm:
    # One form per account on the page: the ids must not repeat.
    return AccountRenameForm(data, initial={"name": account.name}, auto_id=f"rename-{account.id}-%s")


def _page(request, *, open_form=None, renamed: tuple[int, AccountRenameForm] | None = None, status: int = 200):
    funds = selectors.funds_by_account_for_user(user=request.user)
    current = request_account(request)
    rows = []
    for account in account_list_for_user(user=request.user):
        form = renamed[1] if renamed and renamed[0] == account.id else _rename_form(account)
        rows.append({"account": account, "funds": funds.get(account.id), "rename_form": form})
    context = {"rows": rows, "current": current, "open_form": open_form or AccountOpenForm()}
    context["page_url"] = reverse("orders:trading-accounts")  # where the switcher comes back to after a POST
    return render(request, PAGE, context, status=status)


def _account(request, account_id: int) -> TradingAccount:
    try:
        return account_get_for_user(user=request.user, account_id=account_id)
    except NotFound:
        raise Http404("No such trading account.") from None


@login_required
@require_GET
def trading_accounts_page(request):
    return _page(request)


@login_required
@require_POST
def trading_account_open_view(request):
    form = AccountOpenForm(request.POST)
    if not form.is_valid():
        return _page(request, open_form=form, status=422)
    try:
        account = services.paper_account_open(user=request.user, **form.cleaned_data)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _page(request, open_form=form, status=422)
    cash = selectors.funds_by_account_for_user(user=request.user)[account.id].cash
    messages.success(request, f"Opened the paper account {account.name} with ₹{inr(cash)}. Switch to it above.")
    return redirect("orders:trading-accounts")


@login_required
@require_POST
def trading_account_rename_view(request, account_id: int):
    account = _account(request, account_id)
    form = _rename_form(account, request.POST)
    if not form.is_valid():
        return _page(request, renamed=(account.id, form), status=422)
    try:
        renamed = account_services.trading_account_rename(user=request.user, account=account, **form.cleaned_data)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _page(request, renamed=(account.id, form), status=422)
    messages.success(request, f"Renamed {account.name} to {renamed.name}.")
    return redirect("orders:trading-accounts")


@login_required
@require_POST
def trading_account_default_view(request, account_id: int):
    account = account_services.trading_account_make_default(user=request.user, account=_account(request, account_id))
    messages.success(
        request, f"{account.name} is now your default account: the API acts on it when no account is named."
    )
    return redirect("orders:trading-accounts")


@login_required
@require_http_methods(["GET", "POST"])
def trading_account_reset_view(request, account_id: int):
    """GET: what a reset does, and a button to confirm it; POST: the reset."""
    account = _account(request, account_id)
    form = forms.Form(request.POST if request.method == "POST" else None)  # no fields: the service's errors
    if form.is_valid():  # a POST (and CSRF has passed)
        try:
            entry = services.paper_account_reset(user=request.user, account=account)
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, f"Reset {account.name}: its cash is ₹{inr(entry.balance_after)} again.")
            return redirect("orders:trading-accounts")
    paper = account.mode == TradingAccount.Mode.PAPER
    context = {
        "account": account,
        "form": form,
        "opening": services.paper_account_opening_cash(account=account) if paper else None,
        "funds": selectors.funds_by_account_for_user(user=request.user).get(account.id),
    }
    context["page_url"] = reverse("orders:trading-account-reset", args=[account.id])
    return render(request, RESET_PAGE, context, status=422 if form.errors else 200)
