"""Funds: what the account has and blocks, its ledger, and (paper accounts) adding or withdrawing money."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, RuleViolation
from core.formatting import inr
from core.forms import form_refusal
from core.htmx import answer

from .. import selectors, services
from ..forms import FundsForm
from .common import LEDGER_SHOWN, ORDERS_CHANGED, funds_or_none, request_account, split_errors

FORM_TEMPLATE = "orders/_funds_body.html"


def _funds_context(request, **form) -> dict:
    account = request_account(request)
    return {
        "account": account,
        "funds": funds_or_none(request),
        "ledger": selectors.ledger_for_user(user=request.user, account=request_account(request))[:LEDGER_SHOWN],
        "ledger_shown": LEDGER_SHOWN,
        "can_move": bool(account and account.mode == account.Mode.PAPER),
        "form_values": form.get("values", {}),
        "form_errors": form.get("errors", {}),
        "form_top": form.get("top", []),
        "moved": form.get("moved", ""),
    }


@login_required
@require_GET
def funds_page(request):
    return render(request, "orders/funds.html", _funds_context(request))


def _move(request, data: dict) -> str:
    account = request_account(request)
    if account is None:
        raise RuleViolation("You have no trading account yet.", code="no_trading_account")
    form = FundsForm(data)
    if not form.is_valid():
        raise form_refusal(form)
    direction, amount = form.cleaned_data["direction"], form.cleaned_data["amount"]
    move = services.funds_deposit if direction == "deposit" else services.funds_withdraw
    move(user=request.user, account=account, amount=amount)
    return f"₹{inr(amount)} {'added' if direction == 'deposit' else 'withdrawn'}."


@login_required
@require_POST
def funds_move_view(request):
    """Add or withdraw paper money: one ledger entry; the form and the figures above it re-render."""
    data = {field: request.POST.get(field, "").strip()[:32] for field in ("direction", "amount")}
    try:
        moved = _move(request, data)
    except DomainError as exc:
        errors, top = split_errors(exc.fields, ("amount", "direction"), exc.message)
        context = _funds_context(request, values=data, errors=errors, top=top)
        notes = [*top, *[m for msgs in errors.values() for m in msgs]]
        return answer(
            request, template=FORM_TEMPLATE, context=context, redirect_to="orders:funds", notes=notes, error=True
        )
    context = _funds_context(request, values={"direction": data["direction"]}, moved=moved)
    return answer(
        request,
        template=FORM_TEMPLATE,
        context=context,
        redirect_to="orders:funds",
        notes=[moved],
        trigger=ORDERS_CHANGED,
    )
