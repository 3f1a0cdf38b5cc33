from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from core.forms import domain_error_split
from strategies import conf, selectors, services
from strategies.api.common import equity_rows
from strategies.models import FINISHED

from .forms import backtest_inputs, form_context, param_fields
from .report import metric_rows

FORM_ERROR_STATUS = 422
LIST_SIZE = 50
TRADES_SHOWN = 200


PARAMS = ("params.", "grid.")  # the strategy's own parameters, shown beside their inputs


SHOWN = {
    "strategy",
    "symbols",
    "interval",
    "start",
    "end",
    "initial_cash",
    "costs.model",
    "costs.product",
    "costs.per_order",
    "sizing.mode",
    "sizing.value",
    "slippage_ticks",
    "label",
    "metric",
    "mode",
    "walk_forward.train_days",
    "walk_forward.test_days",
}


@login_required
@require_http_methods(["GET", "POST"])
def backtests_page(request):
    values, errors, top, status = dict(request.GET.items()), {}, [], 200
    if request.method == "POST":
        values = dict(request.POST.items())
        inputs = backtest_inputs(request.POST, errors)
        if not errors:
            try:
                backtest = services.backtest_create(user=request.user, **inputs)
                return redirect("strategies:backtest", backtest_id=backtest.id)
            except DomainError as exc:
                errors, top = domain_error_split(exc, SHOWN, prefixes=PARAMS)
        status = FORM_ERROR_STATUS
    rows = selectors.backtest_list_for_user(user=request.user)[:LIST_SIZE]
    context = {**form_context(values, errors), "top_errors": top, "backtests": rows}
    return render(request, "strategies/backtests.html", context, status=status)


@login_required
@require_GET
def params_partial(request):
    prefix = "grid." if request.GET.get("sweep") else "params."
    fields = param_fields(request.GET.get("strategy", ""), {}, {}, prefix)
    return render(request, "strategies/_params.html", {"param_fields": fields, "sweep": bool(request.GET.get("sweep"))})


@login_required
@require_GET
def backtest_page(request, backtest_id: int):
    try:
        backtest = selectors.backtest_get_for_user(user=request.user, backtest_id=backtest_id)
    except DomainError:
        return render(request, "errors/404.html", status=404)
    context = {
        "backtest": backtest,
        "finished": backtest.status in FINISHED,
        "metrics": metric_rows(backtest.metrics),
        "equity": equity_rows(backtest.equity),
        "trades": (backtest.trades or [])[:TRADES_SHOWN],
        "trades_shown": TRADES_SHOWN,
        "min_trades": conf.min_trades(),
    }
    return render(request, "strategies/backtest.html", context)


@login_required
@require_GET
def backtest_progress(request, backtest_id: int):
    try:
        backtest = selectors.backtest_get_for_user(user=request.user, backtest_id=backtest_id)
    except DomainError:
        return HttpResponse(status=404)
    response = render(request, "strategies/_progress.html", {"run": backtest})
    if backtest.status in FINISHED:
        response["HX-Refresh"] = "true"  # the page re-renders with the report
    return response
