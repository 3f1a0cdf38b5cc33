import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictSerializer, iso_utc, validated
from core.errors import InvalidInput
from core.schema import ERRORS
from strategies import selectors, services
from strategies.models import Backtest, RunStatus

from .common import EquityPointSerializer, LabelInput, RunInput, TradeSerializer, equity_rows, inputs_json


def backtest_summary(b: Backtest) -> dict:
    return {
        "id": b.id,
        "label": b.label,
        **inputs_json(b),
        "status": b.status,
        "progress": b.progress,
        "bars_processed": b.bars_processed,
        "bars_total": b.bars_total,
        "metrics": b.metrics,
        "error": b.error,
        "created_at": iso_utc(b.created_at),
        "started_at": iso_utc(b.started_at),
        "finished_at": iso_utc(b.finished_at),
    }


def backtest_json(b: Backtest) -> dict:
    return {
        **backtest_summary(b),
        "trades": b.trades or [],
        "open_trades": b.open_trades or [],
        "equity": equity_rows(b.equity),
        "logs": b.logs or [],
    }


class BacktestSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    strategy = serializers.CharField()
    params = serializers.DictField()
    symbols = serializers.ListField(child=serializers.CharField())
    interval = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    initial_cash = serializers.DecimalField(max_digits=20, decimal_places=2)
    costs = serializers.DictField()
    sizing = serializers.DictField()
    slippage_ticks = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    progress = serializers.IntegerField(help_text="0-100")
    bars_processed = serializers.IntegerField()
    bars_total = serializers.IntegerField()
    metrics = serializers.DictField(
        allow_null=True,
        help_text="final_equity, total_return (%), cagr (%), volatility (%), sharpe, sortino, calmar, "
        "max_drawdown (%, negative), max_drawdown_duration_days, win_rate (%), profit_factor, expectancy "
        "(% per trade), average_trade, num_trades, exposure_time (%), total_charges, ...",
    )
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class BacktestDetailSerializer(BacktestSummarySerializer):
    trades = TradeSerializer(many=True)
    open_trades = TradeSerializer(many=True, help_text="Positions still open at the end, at the last close.")
    equity = EquityPointSerializer(many=True, help_text="Equity and drawdown, at most 2,000 points.")
    logs = serializers.ListField(child=serializers.CharField())


class BacktestListCreateApi(ListAPIView):
    """Your backtests, newest first, a page at a time (`page`, `page_size`); POST queues a new one."""

    serializer_class = BacktestSummarySerializer

    class FilterSerializer(StrictSerializer):
        status = serializers.ChoiceField(choices=RunStatus.choices, required=False)
        strategy = serializers.CharField(max_length=64, required=False)
        label = serializers.CharField(max_length=120, required=False)

    @extend_schema(operation_id="backtests_list", tags=["backtests"], parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = self.request.query_params.copy()
        for name in ("page", "page_size"):  # the paginator's, checked there
            query.pop(name, None)
        f = validated(self.FilterSerializer, query, codes={"status": "invalid_status"})
        return selectors.backtest_list_for_user(
            user=self.request.user, status=f.get("status", ""), strategy=f.get("strategy", ""), label=f.get("label", "")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([backtest_summary(b) for b in page])

    @extend_schema(
        operation_id="backtests_create",
        tags=["backtests"],
        request=RunInput,
        responses={202: BacktestSummarySerializer, 422: ERRORS[422]},
        description="Validate and queue a backtest; 202 with its id. Poll GET /api/v1/backtests/{id}/ for "
        "status and progress. Codes: unknown_strategy, unknown_param, invalid_param, param_out_of_range, "
        "unknown_symbol, no_candles (422), range_too_large (422), product_not_allowed, research_queue_full (422: as "
        "many backtests and sweeps queued or running as one user may have).",
    )
    def post(self, request):
        data = RunInput(data=request.data)
        data.is_valid(raise_exception=True)
        backtest = services.backtest_create(user=request.user, **data.validated_data)
        return Response(backtest_summary(backtest), status=status.HTTP_202_ACCEPTED)


class BacktestDetailApi(APIView):
    InputSerializer = LabelInput

    @extend_schema(operation_id="backtests_retrieve", tags=["backtests"], responses={200: BacktestDetailSerializer})
    def get(self, request, backtest_id: int):
        return Response(backtest_json(selectors.backtest_get_for_user(user=request.user, backtest_id=backtest_id)))

    @extend_schema(
        operation_id="backtests_update",
        tags=["backtests"],
        request=InputSerializer,
        responses={200: BacktestSummarySerializer},
        description="Label a backtest (for finding and comparing it later).",
    )
    def patch(self, request, backtest_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        backtest = services.backtest_update(user=request.user, backtest_id=backtest_id, **data.validated_data)
        return Response(backtest_summary(backtest))


IDS_PATTERN = r"^[0-9]{1,12}(,[0-9]{1,12}){1,5}$"


def parse_ids(raw: str) -> list[int]:
    if not re.fullmatch(IDS_PATTERN, raw):
        raise InvalidInput(
            "`ids` must be 2 to 6 comma-separated backtest ids, e.g. 3,7.", code="invalid_compare", field="ids"
        )
    return [int(part) for part in raw.split(",")]


class BacktestCompareApi(APIView):
    class OutputSerializer(serializers.Serializer):
        backtests = BacktestSummarySerializer(many=True)
        equity = serializers.DictField(help_text="Backtest id -> equity points (time, equity, drawdown).")

    @extend_schema(
        operation_id="backtests_compare",
        tags=["backtests"],
        parameters=[
            OpenApiParameter(
                "ids", {"type": "string", "pattern": IDS_PATTERN}, required=True, description="2 to 6 backtest ids: 3,7"
            )
        ],
        responses={200: OutputSerializer, 404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422]},
        description="Finished backtests side by side: their inputs and metrics, and their equity curves.",
    )
    def get(self, request):
        rows = selectors.backtests_for_compare(user=request.user, ids=parse_ids(request.query_params.get("ids", "")))
        return Response(
            {
                "backtests": [backtest_summary(b) for b in rows],
                "equity": {str(b.id): equity_rows(b.equity) for b in rows},
            }
        )
