"""The alert conditions the orders app owns, registered with monitoring in OrdersConfig.ready."""

from datetime import timedelta

from core import clock
from risk.models import RiskProfile, TradingState

from .models import OrderEvent, OrderStatus, PositionMismatch

REJECTION_WINDOW = timedelta(minutes=5)


def rejections_recent() -> int:
    """`order_rejections`: orders rejected (by us or the broker) in the last five minutes."""
    return OrderEvent.objects.filter(to_status=OrderStatus.REJECTED, at__gte=clock.now() - REJECTION_WINDOW).count()


def position_mismatches_open() -> int:
    """`position_mismatch`: positions where we and the broker still disagree."""
    return PositionMismatch.objects.filter(resolved_at=None).count()


def daily_loss_limits_reached() -> int:
    """`daily_loss_limit`: accounts stopped today by their daily loss limit."""
    return RiskProfile.objects.filter(state_code="risk_daily_loss_limit").exclude(state=TradingState.ACTIVE).count()


CONDITIONS = {
    "order_rejections": (rejections_recent, "orders rejected in the last 5 minutes"),
    "position_mismatch": (position_mismatches_open, "open position mismatches with the broker"),
    "daily_loss_limit": (daily_loss_limits_reached, "accounts stopped by their daily loss limit"),
}
