"""The risk panel: each limit and how much of it is used, the trading state, the kill switch."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.errors import DomainError
from core.htmx import answer
from risk.models import RiskEvent
from risk.services import trading_state_reactivate

from ..selectors import risk_overview_of
from ..services.risk_actions import kill_switch_activate
from .common import ORDERS_CHANGED, request_account

PANEL_TEMPLATE = "orders/_risk_panel.html"
HISTORY_SHOWN = 20


def _context(request, **extra) -> dict:
    account = request_account(request)
    if account is None:
        return {"account": None, **extra}
    overview = risk_overview_of(account.id)
    history = RiskEvent.objects.filter(account=account).exclude(kind=RiskEvent.Kind.REJECTED)[:HISTORY_SHOWN]
    rejections = RiskEvent.objects.filter(account=account, kind=RiskEvent.Kind.REJECTED)[:HISTORY_SHOWN]
    return {
        "account": account,
        "overview": overview,
        "history": history,
        "rejections": rejections,
        "now": clock.now(),  # a paper trader's halt may be lifted at once: "now" rather than a past time
        **extra,
    }


@login_required
@require_GET
def risk_page(request):
    return render(request, "orders/risk.html", _context(request))


@login_required
@require_GET
def risk_panel_partial(request):
    return render(request, PANEL_TEMPLATE, _context(request))


def _act(request, action):
    """Run `action(account) -> message` and answer with the panel and the message (or the refusal)."""
    account = request_account(request)
    try:
        if account is None:
            raise DomainError("You have no trading account yet.", code="no_trading_account")
        done = action(account)
    except DomainError as exc:
        context = _context(request, error=exc.message)
        return answer(
            request,
            template=PANEL_TEMPLATE,
            context=context,
            redirect_to="orders:risk",
            notes=[exc.message],
            error=True,
        )
    return answer(
        request,
        template=PANEL_TEMPLATE,
        context=_context(request, done=done),
        redirect_to="orders:risk",
        notes=[done],
        trigger=ORDERS_CHANGED,
    )


@login_required
@require_POST
def kill_switch_view(request):
    square_off = request.POST.get("square_off") == "1"
    actor = f"user:{request.user.username}"

    def halt(account) -> str:
        result = kill_switch_activate(account=account, actor=actor, square_off=square_off)
        closing = f"; {len(result.closing)} position(s) closing at market" if square_off else ""
        return f"Kill switch on: trading is halted. {len(result.cancelled)} order(s) cancelled{closing}."

    return _act(request, halt)


@login_required
@require_POST
def reactivate_view(request):
    actor = f"user:{request.user.username}"

    def reactivate(account) -> str:
        trading_state_reactivate(account=account, actor=actor)
        return "Trading is active again."

    return _act(request, reactivate)
