from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.errors import DomainError
from core.inputs import ids_parse
from strategies import selectors

from .report import METRICS, show, tone


@login_required
@require_GET
def compare_page(request):
    ids_text = request.GET.get("ids", "") or ",".join(request.GET.getlist("id"))
    ids = ids_parse(ids_text.split(","))  # the ticked boxes
    try:
        backtests = selectors.backtests_for_compare(user=request.user, ids=ids)
    except DomainError as exc:
        return render(request, "strategies/compare.html", {"error": exc.message}, status=exc.status_code)
    rows = [
        {"title": title, "cells": [{"value": show((b.metrics or {}).get(key), kind),
                                    "tone": tone((b.metrics or {}).get(key), kind)} for b in backtests]}
        for key, title, kind in METRICS
    ]  # fmt: skip
    curves = [
        {"id": b.id, "name": b.label or f"#{b.id} {b.strategy}", "initial": float(b.initial_cash),
         "time": (b.equity or {}).get("time", []), "equity": (b.equity or {}).get("equity", [])}
        for b in backtests
    ]  # fmt: skip
    return render(request, "strategies/compare.html", {"backtests": backtests, "rows": rows, "curves": curves})
