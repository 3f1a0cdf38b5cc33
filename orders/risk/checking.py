"""Running the checks for one order, inside the placement (or modification) transaction."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from accounts.models import TradingAccount
from core import clock, events
from marketdata.models import Instrument
from marketdata.quotes import CachedQuote

from ..validation import OrderParams
from . import checks
from .events import DailyLossLimitReached, RiskRejected
from .models import RiskEvent, RiskProfile, TradingState
from .profiles import risk_profile_for, trading_state_set
from .usage import BooksView

# Orders the platform sends to close positions (square-off, the kill switch's own): never refused by the
# limits they help enforce, as long as they only reduce.
SQUARE_OFF_SOURCE = "square_off"


def risk_refusal(
    *,
    account: TradingAccount,
    books: BooksView,
    instrument: Instrument,
    params: OrderParams,
    quote: CachedQuote | None,
    reducing: bool,
    price: Decimal,
    source: str,
    placing: bool = True,
    profile: RiskProfile | None = None,
) -> checks.RiskViolation | None:
    """The first limit this order breaks, or None. Call under the account's lock (`books`: the account's, as locked;
    `profile`: the account's, when the caller has read it under that lock).

    A refusal that changes the account's state (the daily loss limit) is applied
    here; recording the refused order is the caller's (it knows the order).
    """
    if not settings.RISK_CHECKS_ENABLED or (reducing and source == SQUARE_OFF_SOURCE):
        return None
    order = checks.OrderUnderCheck(
        instrument=instrument,
        params=params,
        quote=quote,
        reducing=reducing,
        price=price,
        value=params.quantity * price,
    )
    profile = profile or risk_profile_for(account.id)
    try:
        _run(profile, books, order, placing=placing)
    except checks.RiskViolation as refused:
        if refused.moves_to and refused.moves_to != profile.state:
            _daily_loss_reached(profile, refused)
        return refused
    return None


def _run(profile, books: BooksView, order: checks.OrderUnderCheck, *, placing: bool) -> None:
    checks.check_state(profile, order, platform_halted=books.platform_halted)
    usage = books.usage()
    if placing:
        checks.check_rates(profile, usage)
    checks.check_daily_loss(profile, order, usage)
    checks.check_allowed(profile, order)
    today = clock.ist_date()
    checks.check_fno_ban(order, today)
    checks.check_size(profile, order)
    checks.check_prices(profile, order, today)
    checks.check_exposure(profile, order, usage)


def _daily_loss_reached(profile, refused: checks.RiskViolation) -> None:
    trading_state_set(
        profile, state=TradingState.REDUCING, code=refused.code, reason="Daily loss limit reached", actor="risk"
    )
    day_pnl = refused.data.get("day_pnl", Decimal(0))
    reached = DailyLossLimitReached(account_id=profile.account_id, day_pnl=day_pnl, limit=profile.daily_loss_limit)
    transaction.on_commit(lambda: events.publish(reached))


def risk_rejection_record(*, account_id: int, refused: checks.RiskViolation, order_id: int | None) -> None:
    """The refusal in the account's risk history (rate refusals only as an event), and an event once committed."""
    if refused.store:
        RiskEvent.objects.create(
            account_id=account_id,
            kind=RiskEvent.Kind.REJECTED,
            code=refused.code,
            message=refused.message[:300],
            data={"order_id": order_id},
        )
    rejected = RiskRejected(account_id=account_id, code=refused.code, message=refused.message, order_id=order_id)
    transaction.on_commit(lambda: events.publish(rejected))
