"""The home page, and the top bar's live status (account, feed, market): the shell's own pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketdata.selectors import watchlist_for_user
from orders.views.common import funds_or_none


@login_required
@require_GET
def dashboard(request):
    """The watchlist and the account's funds at a glance."""
    context = {"items": watchlist_for_user(user=request.user), "funds": funds_or_none(request)}
    return render(request, "dashboard/index.html", context)


@login_required
@require_GET
def status_partial(request):
    """The top bar's status strip, polled every few seconds (its data comes from the context processor)."""
    return render(request, "dashboard/_statusbar.html")
