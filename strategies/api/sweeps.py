from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import IntegerInputField, StrictSerializer, iso_utc
from core.schema import ERRORS
from strategies import selectors, services
from strategies.models import RunStatus, Sweep, SweepMode
from strategies.services.sweep_rows import RANKABLE

from .common import LabelInput, RunInput, inputs_json

MAX_RESULTS = 500


class WalkForwardInput(StrictSerializer):
    train_days = IntegerInputField(min_value=1, max_value=3650, help_text="Days each window optimises on.")
    test_days = IntegerInputField(min_value=1, max_value=3650, help_text="Days it then trades unseen.")


class SweepInput(RunInput):
    grid = serializers.DictField(
        child=serializers.ListField(), help_text='Parameter -> values to try: {"fast": [5, 10], "slow": [20, 50]}'
    )
    metric = serializers.ChoiceField(choices=RANKABLE, default="sharpe", help_text="What results are ranked by.")
    mode = serializers.ChoiceField(choices=SweepMode.choices, default=SweepMode.GRID)
    walk_forward = WalkForwardInput(
        required=False,
        allow_null=True,
        default=None,
        help_text='walk_forward mode: {"train_days": 365, "test_days": 90}',
    )


def sweep_summary(s: Sweep) -> dict:
    return {
        "id": s.id,
        "label": s.label,
        **inputs_json(s),
        "mode": s.mode,
        "grid": s.grid,
        "metric": s.metric,
        "status": s.status,
        "progress": s.progress,
        "completed": s.completed,
        "total": s.total,
        "error": s.error,
        "created_at": iso_utc(s.created_at),
        "finished_at": iso_utc(s.finished_at),
    }


def sweep_json(s: Sweep) -> dict:
    results = selectors.sweep_results_ranked(sweep=s)[:MAX_RESULTS]
    return {
        **sweep_summary(s),
        "results": [
            {
                "rank": n + 1,
                "index": r.index,
                "params": r.params,
                "score": r.score,
                "metrics": r.metrics,
                "error": r.error,
            }
            for n, r in enumerate(results)
        ],
        "heatmap": selectors.sweep_heatmap(sweep=s),
        "walk_forward": s.walk_forward,
        "walk_forward_result": s.result,
    }


class SweepSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    strategy = serializers.CharField()
    params = serializers.DictField(help_text="The fixed parameters.")
    symbols = serializers.ListField(child=serializers.CharField())
    interval = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    mode = serializers.ChoiceField(choices=SweepMode.choices)
    grid = serializers.DictField()
    metric = serializers.CharField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    progress = serializers.IntegerField()
    completed = serializers.IntegerField()
    total = serializers.IntegerField()


class SweepDetailSerializer(SweepSummarySerializer):
    results = serializers.ListField(child=serializers.DictField(), help_text="Best first by `metric`.")
    heatmap = serializers.DictField(allow_null=True, help_text="x, y, x_values, y_values, cells[y][x]: best score.")
    walk_forward = serializers.DictField(allow_null=True)
    walk_forward_result = serializers.DictField(
        allow_null=True, help_text="Per-window table; stitched out-of-sample equity beside the in-sample promise."
    )


class SweepListCreateApi(ListAPIView):
    """Your sweeps, newest first, a page at a time (`page`, `page_size`); POST queues a new one."""

    serializer_class = SweepSummarySerializer

    @extend_schema(operation_id="sweeps_list", tags=["sweeps"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.sweep_list_for_user(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([sweep_summary(s) for s in page])

    @extend_schema(
        operation_id="sweeps_create",
        tags=["sweeps"],
        request=SweepInput,
        responses={202: SweepSummarySerializer, 422: ERRORS[422]},
        description="Queue a grid of parameter combinations (split across workers) or a walk-forward "
        "optimisation. Too many combinations or too much work: 422 `sweep_too_large`. Already as many "
        "backtests and sweeps queued or running as one user may have: 422 `research_queue_full`.",
    )
    def post(self, request):
        data = SweepInput(data=request.data)
        data.is_valid(raise_exception=True)
        sweep = services.sweep_create(user=request.user, **data.validated_data)
        return Response(sweep_summary(sweep), status=status.HTTP_202_ACCEPTED)


class SweepDetailApi(APIView):
    InputSerializer = LabelInput

    @extend_schema(operation_id="sweeps_retrieve", tags=["sweeps"], responses={200: SweepDetailSerializer})
    def get(self, request, sweep_id: int):
        return Response(sweep_json(selectors.sweep_get_for_user(user=request.user, sweep_id=sweep_id)))

    @extend_schema(
        operation_id="sweeps_update",
        tags=["sweeps"],
        request=InputSerializer,
        responses={200: SweepSummarySerializer},
        description="Label a sweep.",
    )
    def patch(self, request, sweep_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sweep = services.sweep_update(user=request.user, sweep_id=sweep_id, **data.validated_data)
        return Response(sweep_summary(sweep))
