from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError
from core.forms import domain_error_split
from strategies import conf, selectors, services
from strategies.models import FINISHED, SweepMode

from .backtests import FORM_ERROR_STATUS, PARAMS, SHOWN
from .forms import form_context, sweep_inputs
from .report import metric_rows

RESULTS_SHOWN = 100


@login_required
@require_http_methods(["GET", "POST"])
def sweeps_page(request):
    values, errors, top, status = dict(request.GET.items()), {}, [], 200
    if request.method == "POST":
        values = dict(request.POST.items())
        inputs = sweep_inputs(request.POST, errors)
        if not errors:
            try:
                sweep = services.sweep_create(user=request.user, **inputs)
                return redirect("strategies:sweep", sweep_id=sweep.id)
            except DomainError as exc:
                errors, top = domain_error_split(exc, SHOWN, prefixes=PARAMS)
        status = FORM_ERROR_STATUS
    context = {
        **form_context(values, errors, sweep=True),
        "top_errors": top,
        "sweeps": selectors.sweep_list_for_user(user=request.user)[:50],
    }
    return render(request, "strategies/sweeps.html", context, status=status)


def heat_colour(score, low, high) -> str:
    """Red (worst) through amber to green (best), on the sweep's own range."""
    if score is None:
        return ""
    share = 0.5 if high == low else (score - low) / (high - low)
    return f"hsl({round(120 * share)}, 55%, 28%)"


def heatmap_view(heatmap: dict | None) -> dict | None:
    if not heatmap:
        return None
    scores = [c for row in heatmap["cells"] for c in row if c is not None]
    low, high = (min(scores), max(scores)) if scores else (0, 0)
    rows = [
        {"y": y, "cells": [{"score": c, "colour": heat_colour(c, low, high)} for c in cells]}
        for y, cells in zip(heatmap["y_values"], heatmap["cells"], strict=True)
    ]
    return {**heatmap, "rows": rows}


@login_required
@require_GET
def sweep_page(request, sweep_id: int):
    try:
        sweep = selectors.sweep_get_for_user(user=request.user, sweep_id=sweep_id)
    except DomainError:
        return render(request, "errors/404.html", status=404)
    results = list(selectors.sweep_results_ranked(sweep=sweep)[:RESULTS_SHOWN])
    walk = sweep.result if sweep.mode == SweepMode.WALK_FORWARD else None
    few = [r for r in results if r.metrics and r.metrics.get("num_trades", 0) < conf.min_trades()]
    context = {
        "sweep": sweep,
        "finished": sweep.status in FINISHED,
        "results": results,
        "few_trades": len(few),
        "min_trades": conf.min_trades(),
        "varying": [name for name, values in sweep.grid.items() if len(values) > 1],
        "heatmap": heatmap_view(selectors.sweep_heatmap(sweep=sweep)) if sweep.mode == SweepMode.GRID else None,
        "walk": walk,
        "best": metric_rows(results[0].metrics)
        if results and sweep.mode == SweepMode.GRID and results[0].metrics
        else [],
    }
    return render(request, "strategies/sweep.html", context)


@login_required
@require_GET
def sweep_progress(request, sweep_id: int):
    try:
        sweep = selectors.sweep_get_for_user(user=request.user, sweep_id=sweep_id)
    except DomainError:
        return HttpResponse(status=404)
    response = render(request, "strategies/_progress.html", {"run": sweep, "sweep": True})
    if sweep.status in FINISHED:
        response["HX-Refresh"] = "true"
    return response
