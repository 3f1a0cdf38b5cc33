"""`POST bench/risk-checks/` of the benchmark's server: the pre-trade checks off or on in that web process.

The product has no switch for its checks. benchmarks/orders.py prices them by placing orders with and
without them against the same processes, in the same run: this view swaps the placement service's
reference to the checks for one that refuses nothing, and back.
"""

from rest_framework.response import Response
from rest_framework.views import APIView

from orders.services import placement

_RISK_REFUSAL = placement.risk_refusal


def _refuse_nothing(**_order) -> None:
    return None


class RiskChecksApi(APIView):
    """Body `{"enabled": true}` or `{"enabled": false}`; answers with the state now in force."""

    def post(self, request):
        placement.risk_refusal = _RISK_REFUSAL if request.data.get("enabled") is True else _refuse_nothing
        return Response({"enabled": placement.risk_refusal is _RISK_REFUSAL})
