"""Strategy runs: start one on your account (paper or live), follow it, stop it."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.api import StrictSerializer, iso_utc, validated
from core.schema import ERRORS
from marketdata.intervals import INTERVALS
from strategies import selectors
from strategies.models import LiveStatus, StrategyRun
from strategies.services import runs as run_services

PRICE = {"max_digits": 18, "decimal_places": 6}
MONEY = {"max_digits": 20, "decimal_places": 2}


class RunCreateInput(StrictSerializer):
    strategy = serializers.CharField(
        max_length=64, trim_whitespace=False, help_text="A name from GET /api/v1/strategies/."
    )
    params = serializers.DictField(required=False, default=dict, help_text="Parameter name -> value.")
    symbols = serializers.ListField(
        child=serializers.CharField(max_length=80, trim_whitespace=False),
        min_length=1,
        help_text='e.g. ["NSE:SBIN-EQ"]',
    )
    interval = serializers.ChoiceField(choices=INTERVALS, help_text="The bars the strategy trades on.")
    sizing = serializers.DictField(
        required=False,
        default=dict,
        help_text='For orders without a quantity: {"mode": "fixed_quantity"|"fixed_value"|'
        '"percent_equity", "value": 1}. Default: fixed_quantity 1.',
    )
    product = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=8,
        help_text="CNC, MIS or NRML; default CNC (equity) or NRML (derivatives).",
    )


class RunPositionSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    quantity = serializers.IntegerField(help_text="The run's own signed quantity (from its own fills).")
    average_price = serializers.DecimalField(**PRICE, allow_null=True)
    last_price = serializers.DecimalField(**PRICE, allow_null=True)
    realised_pnl = serializers.DecimalField(**MONEY)
    unrealised_pnl = serializers.DecimalField(**MONEY)
    buy_quantity = serializers.IntegerField()
    sell_quantity = serializers.IntegerField()


class RunOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    symbol = serializers.CharField()
    side = serializers.CharField()
    quantity = serializers.IntegerField()
    order_type = serializers.CharField()
    status = serializers.CharField()
    filled_quantity = serializers.IntegerField()
    average_price = serializers.DecimalField(**PRICE, allow_null=True)
    strategy_tag = serializers.CharField(help_text="The strategy's own label for the order (entry, stop-loss...).")
    created_at = serializers.DateTimeField()


class RunSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    strategy = serializers.CharField()
    params = serializers.DictField()
    symbols = serializers.ListField(child=serializers.CharField())
    interval = serializers.CharField()
    sizing = serializers.DictField()
    product = serializers.CharField()
    status = serializers.ChoiceField(
        choices=LiveStatus.choices,
        help_text="LOST: RUNNING, but no runner has written its heartbeat lately; a runner that starts resumes it.",
    )
    error = serializers.CharField()
    account_mode = serializers.CharField(help_text="paper or live, when the run started.")
    tag = serializers.CharField(help_text="The tag on the run's orders in the order book.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)


class RunDetailSerializer(RunSummarySerializer):
    positions = RunPositionSerializer(many=True)
    orders = RunOrderSerializer(many=True, help_text="The run's latest orders, newest first (at most 20).")
    logs = serializers.ListField(child=serializers.CharField())


def run_summary(run: StrategyRun) -> dict:
    return {
        "id": run.id,
        "strategy": run.strategy,
        "params": run.params,
        "symbols": run.symbols,
        "interval": run.interval,
        "sizing": run.sizing,
        "product": run.product,
        "status": selectors.run_shown_status(run),
        "error": run.error,
        "account_mode": run.account_mode,
        "tag": run.tag,
        "created_at": iso_utc(run.created_at),
        "started_at": iso_utc(run.started_at),
        "stopped_at": iso_utc(run.stopped_at),
        "heartbeat_at": iso_utc(run.heartbeat_at),
    }


def _money(value):
    return None if value is None else f"{value:.2f}"


def run_detail(run: StrategyRun) -> dict:
    positions = [
        {
            **p,
            "average_price": p["average_price"] and str(p["average_price"]),
            "last_price": p["last_price"] and str(p["last_price"]),
            "realised_pnl": _money(p["realised_pnl"]),
            "unrealised_pnl": _money(p["unrealised_pnl"]),
        }
        for p in selectors.run_positions(run)
    ]
    orders = [
        {
            "id": o.id,
            "symbol": o.instrument.key,
            "side": o.side,
            "quantity": o.quantity,
            "order_type": o.order_type,
            "status": o.status,
            "filled_quantity": o.filled_quantity,
            "average_price": o.average_price and str(o.average_price),
            "strategy_tag": o.strategy_link.tag,
            "created_at": iso_utc(o.created_at),
        }
        for o in selectors.run_orders_recent(run)
    ]
    return {**run_summary(run), "positions": positions, "orders": orders, "logs": run.logs or []}


class RunListCreateApi(ListAPIView):
    """Your strategy runs, newest first, a page at a time (`page`, `page_size`); POST starts one."""

    serializer_class = RunSummarySerializer

    class FilterSerializer(StrictSerializer):
        status = serializers.ChoiceField(choices=LiveStatus.choices, required=False)

    @extend_schema(operation_id="strategy_runs_list", tags=["strategy runs"], parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = self.request.query_params.copy()
        for name in ("page", "page_size"):
            query.pop(name, None)
        f = validated(self.FilterSerializer, query, codes={"status": "invalid_status"})
        return selectors.run_list_for_user(
            user=self.request.user, account=request_account(self.request), status=f.get("status", "")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([run_summary(r) for r in page])

    @extend_schema(
        operation_id="strategy_runs_create",
        tags=["strategy runs"],
        request=RunCreateInput,
        responses={201: RunSummarySerializer, 422: ERRORS[422]},
        description="Start a strategy on your account (paper or live, as it is now): the runner process "
        "(`manage.py run_strategies`) feeds it closed bars and its orders go through the normal order pipeline, "
        "tagged `run:<id>`. Codes (422): unknown_strategy, unknown_param, invalid_param, param_out_of_range, "
        "unknown_symbol, invalid_interval, product_not_allowed, product_required, no_trading_account, too_many_runs.",
    )
    def post(self, request):
        data = RunCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_services.run_create(user=request.user, account=request_account(request), **data.validated_data)
        return Response(run_summary(run), status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    @extend_schema(
        operation_id="strategy_runs_retrieve",
        tags=["strategy runs"],
        responses={200: RunDetailSerializer, 404: ERRORS[404]},
    )
    def get(self, request, run_id: int):
        return Response(
            run_detail(selectors.run_get_for_user(user=request.user, account=request_account(request), run_id=run_id))
        )


class RunStopApi(APIView):
    @extend_schema(
        operation_id="strategy_runs_stop",
        tags=["strategy runs"],
        request=None,
        responses={200: RunSummarySerializer, 404: ERRORS[404], 409: ERRORS[409]},
        description="Stop the run and cancel its working orders; its positions stay open. 409 run_not_active "
        "when it had already stopped or failed.",
    )
    def post(self, request, run_id: int):
        run = selectors.run_get_for_user(user=request.user, account=request_account(request), run_id=run_id)
        return Response(run_summary(run_services.run_stop(user=request.user, run=run)))
