from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from strategies.registry import strategies_all


def strategy_json(cls) -> dict:
    return {"name": cls.name, "title": cls.title, "description": cls.description, "params_schema": cls.schema()}


class StrategyListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        title = serializers.CharField()
        description = serializers.CharField()
        params_schema = serializers.DictField(help_text="JSON schema of the parameters: type, default, range.")

    @extend_schema(
        operation_id="strategies_list",
        tags=["strategies"],
        responses={200: OutputSerializer(many=True)},
        description="The strategies a backtest can run, each with the JSON schema of its parameters.",
    )
    def get(self, request):
        return Response([strategy_json(cls) for cls in strategies_all()])
