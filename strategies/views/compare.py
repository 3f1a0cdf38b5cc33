from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.errors import DomainError
from core.inputs import ids_parse
from strategies import selectors

from .report import METRICS, show, tone


def _cell(backtest, key: str, kind: str) -> dict:
    """One backtest's value of one metric; the label names its column on a phone, where each metric is a card."""
    value = (backtest.metrics or {}).get(key)
    return {"value": show(value, kind), "tone": tone(value, kind), "label": backtest.label or f"#{backtest.id}"}


@login_required
@require_GET
def compare_page(request):
    ids_text = request.GET.get("ids", "") or ",".join(request.GET.getlist("id"))
    ids = ids_parse(ids_text.split(","))  # the ticked boxes
    try:
        backtests = selectors.backtests_for_compare(user=request.user, ids=ids)
    except DomainError as exc:
        return render(request, "strategies/compare.html", {"error": exc.message}, status=exc.status_code)
    rows = [{"title": title, "cells": [_cell(b, key, kind) for b in backtests]} for key, title, kind in METRICS]
    curves = [
        {
            "id": b.id,
            "name": b.label or f"#{b.id} {b.strategy}",
            "initial": float(b.initial_cash),
            "time": (b.equity or {}).get("time", []),
            "equity": (b.equity or {}).get("equity", []),
        }
        for b in backtests
    ]
    return render(request, "strategies/compare.html", {"backtests": backtests, "rows": rows, "curves": curves})
