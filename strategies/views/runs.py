"""The strategies home page: start a run on your account, follow your runs, stop one."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.chosen import request_account
from core.errors import DomainError
from core.forms import domain_error_split
from core.htmx import is_htmx
from strategies import selectors
from strategies.models import ACTIVE
from strategies.services import runs as run_services

from .backtests import PARAMS
from .forms import form_context

FORM_ERROR_STATUS = 422
LIST_SIZE = 30
SHOWN = {"strategy", "symbols", "interval", "sizing.mode", "sizing.value", "product"}
RUN_DEFAULTS = {"sizing.mode": "fixed_quantity", "sizing.value": "1", "interval": "1m", "product": ""}


def run_inputs(post) -> dict:
    symbols = [s.strip().upper() for s in post.get("symbols", "").replace(" ", ",").split(",") if s.strip()]
    params = {k.removeprefix("params."): v for k, v in post.items() if k.startswith("params.") and v != ""}
    return {
        "strategy": post.get("strategy", ""),
        "params": params,
        "symbols": symbols,
        "interval": post.get("interval", ""),
        "sizing": {"mode": post.get("sizing.mode", ""), "value": post.get("sizing.value", "")},
        "product": post.get("product", ""),
    }


def runs_rows(request) -> list[dict]:
    rows = []
    for run in selectors.run_list_for_user(user=request.user, account=request_account(request))[:LIST_SIZE]:
        shown = selectors.run_shown_status(run)
        rows.append(
            {"run": run, "status": shown, "active": run.status in ACTIVE, "positions": selectors.run_positions(run)}
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def runs_page(request):
    values, errors, top, status = {**RUN_DEFAULTS, **request.GET.dict()}, {}, [], 200
    if request.method == "POST":
        values = {**RUN_DEFAULTS, **request.POST.dict()}
        try:
            run_services.run_create(user=request.user, account=request_account(request), **run_inputs(request.POST))
            return redirect("strategies:home")
        except DomainError as exc:
            errors, top = domain_error_split(exc, SHOWN, prefixes=PARAMS)
        status = FORM_ERROR_STATUS
    context = {
        **form_context(values, errors),
        "top_errors": top,
        "runs": runs_rows(request),
        "products": ("CNC", "MIS", "NRML"),
    }
    return render(request, "strategies/runs.html", context, status=status)


@login_required
@require_GET
def runs_partial(request):
    return render(request, "strategies/_runs.html", {"runs": runs_rows(request)})


@login_required
@require_POST
def run_stop(request, run_id: int):
    try:
        run = selectors.run_get_for_user(user=request.user, account=request_account(request), run_id=run_id)
        run_services.run_stop(user=request.user, run=run)
    except DomainError as exc:
        if exc.status_code == 404:
            return render(request, "errors/404.html", status=404)
    if is_htmx(request):
        return render(request, "strategies/_runs.html", {"runs": runs_rows(request)})
    return redirect("strategies:home")
