"""Live trading's gate at placement, and the switch between paper and live.

A trading account is paper (the simulated exchange) or live (a real broker). The
switch is refused while anything is in flight or held, so no order or position
ever belongs to both worlds; it is recorded in the audit trail (auditlog).
"""

from auditlog.context import set_actor

from accounts.models import TradingAccount
from accounts.selectors import trading_account_cache_clear
from brokers.base import BrokerRejected, BrokerUnavailable
from brokers.gate import broker_gate
from brokers.models import BrokerAccount
from core import events
from core.errors import Conflict, RuleViolation, ServiceUnavailable

from ..books import AccountBooks
from ..events import AccountModeSwitched
from ..models import TERMINAL, Order, Position


def broker_ready(account: TradingAccount, *, current: TradingAccount) -> None:
    """Refuse a new order at once when its broker cannot take it (before anything is stored).

    `account`: as this process remembers it; `current`: its row as read under the account's lock."""
    if (current.mode, current.broker) != (account.mode, account.broker):
        trading_account_cache_clear()  # this process remembered the account from before a switch
        raise Conflict(
            "The account was just switched between paper and live: check the order and place it again.",
            code="account_mode_changed",
        )
    try:
        broker_gate(account)
    except BrokerUnavailable as exc:
        raise ServiceUnavailable(exc.message, code=exc.code) from None
    except BrokerRejected as exc:
        raise RuleViolation(exc.message, code=exc.code) from None


def trading_account_switch_mode(*, user, account: TradingAccount, mode: str) -> TradingAccount:
    """Switch between paper and live. Refused (409) while orders are open or positions held."""
    if mode not in TradingAccount.Mode.values:
        raise RuleViolation(f"Mode must be one of {', '.join(TradingAccount.Mode.values)}.", code="invalid_mode")
    with AccountBooks.locked(account.id):  # placement takes this lock too: no order slips in meanwhile
        row = TradingAccount.objects.select_for_update().get(pk=account.pk)
        if row.mode == mode:
            return row
        _check_nothing_open(row)
        from_mode = row.mode
        if mode == TradingAccount.Mode.LIVE:
            row.broker = _live_broker_of(row)
        row.mode = mode
        with set_actor(user):
            row.save(update_fields=["mode", "broker"])  # auditlog records who switched, from what to what
    trading_account_cache_clear()
    switched = AccountModeSwitched(account_id=row.id, from_mode=from_mode, to_mode=row.mode, broker=row.broker)
    events.publish(switched)
    return row


def _check_nothing_open(account: TradingAccount) -> None:
    open_orders = Order.objects.filter(account=account).exclude(status__in=TERMINAL).count()
    if open_orders:
        raise Conflict(
            f"{open_orders} order(s) are still open: cancel them or let them finish before switching.",
            code="open_orders",
        )
    held = Position.objects.filter(account=account).exclude(net_quantity=0).count()
    if held:
        raise Conflict(f"{held} position(s) are still held: close them before switching.", code="positions_held")


def _live_broker_of(account: TradingAccount) -> str:
    broker_account = BrokerAccount.objects.filter(account=account).first()
    if broker_account is None or not broker_account.has_credentials:
        raise RuleViolation("Save your broker credentials before switching to live.", code="broker_not_connected")
    return broker_account.broker
