"""Holdings: the delivery (CNC) shares an account holds, valued live."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.chosen import request_account

from .. import selectors


def _holdings_context(request) -> dict:
    holdings = selectors.holdings_for_user(user=request.user, account=request_account(request))
    priced = [h for h in holdings if h.ltp is not None]
    invested = sum((h.invested for h in holdings), Decimal(0))
    current = sum((h.current_value for h in priced), Decimal(0))
    return {
        "holdings": holdings,
        "invested": invested,
        "current": current if len(priced) == len(holdings) else None,
        "pnl": sum((h.pnl for h in priced), Decimal(0)),
        "day_change": sum((h.day_change for h in priced if h.day_change is not None), Decimal(0)),
    }


@login_required
@require_GET
def holdings_page(request):
    return render(request, "orders/holdings.html", _holdings_context(request))


@login_required
@require_GET
def holdings_partial(request):
    return render(request, "orders/_holdings_live.html", _holdings_context(request))
