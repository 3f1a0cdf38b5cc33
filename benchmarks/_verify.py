"""Reading the orders back: waiting for the worker, POST-to-FILLED times, and the books adding up.

All of it reads the scratch database directly (same machine, same clock as
the client), after the fact: nothing polls during a timed run.
"""

import time
from decimal import Decimal

from benchmarks._common import ms_summary


def wait_terminal(account_ids: list[int], timeout: float, poll: float = 0.25) -> tuple[bool, float]:
    """Wait until no order of these accounts is unfinished; (all finished, seconds waited)."""
    from django.db import connections

    from orders.models import TERMINAL, Order

    start = time.monotonic()
    try:
        while True:
            left = Order.objects.filter(account_id__in=account_ids).exclude(status__in=TERMINAL).count()
            if not left:
                return True, time.monotonic() - start
            if time.monotonic() - start > timeout:
                return False, time.monotonic() - start
            time.sleep(poll)
    finally:
        connections.close_all()


def events_for(order_ids: list[int]) -> dict[int, dict[str, float]]:
    """order id -> {to_status: first event time (epoch seconds)} for NEW, SUBMITTED, FILLED."""
    from django.db import connections

    from orders.models import OrderEvent

    out: dict[int, dict[str, float]] = {}
    ids = sorted(order_ids)
    for i in range(0, len(ids), 500):
        rows = OrderEvent.objects.filter(
            order_id__in=ids[i : i + 500], to_status__in=["NEW", "SUBMITTED", "FILLED"]
        ).values_list("order_id", "to_status", "at")
        for order_id, to_status, at in rows:
            times = out.setdefault(order_id, {})
            ts = at.timestamp()
            if to_status not in times or ts < times[to_status]:
                times[to_status] = ts
    connections.close_all()
    return out


def fill_times(sent: dict[int, float], timeout: float) -> dict:
    """POST-to-FILLED (and its parts) from the server's events for orders sent at `sent` times."""
    events = events_for(list(sent))
    to_filled, to_new, new_to_submitted, submitted_to_filled = [], [], [], []
    never, late = [], []
    for order_id, sent_at in sent.items():
        times = events.get(order_id, {})
        filled = times.get("FILLED")
        if filled is None:
            never.append(order_id)
            continue
        to_filled.append(filled - sent_at)
        if filled - sent_at > timeout:
            late.append(order_id)
        if "NEW" in times:
            to_new.append(times["NEW"] - sent_at)
        if "NEW" in times and "SUBMITTED" in times:
            new_to_submitted.append(times["SUBMITTED"] - times["NEW"])
        if "SUBMITTED" in times:
            submitted_to_filled.append(filled - times["SUBMITTED"])
    return {
        "orders": len(sent),
        "filled": len(to_filled),
        "never_filled": len(never),
        "filled_after_timeout": len(late),
        "fill_timeout_s": timeout,
        "post_to_filled": ms_summary(to_filled),
        "parts": {
            "send_to_NEW_event (web: request, checks, until the insert; commit follows)": ms_summary(to_new),
            "NEW_to_SUBMITTED (commit, Celery publish, queue, worker pickup, claim)": ms_summary(new_to_submitted),
            "SUBMITTED_to_FILLED (worker: paper placement, fill, apply update)": ms_summary(submitted_to_filled),
        },
        "never_filled_sample": never[:10],
        "_raw_to_filled": to_filled,
    }


def verify(account_ids: list[int], accepted: int) -> dict:
    """Every accepted order FILLED once; per account the money adds up, nothing stays reserved and the running
    risk usage (orders today, open orders and their value, realised today) equals what the rows say."""
    from django.db import connections
    from django.db.models import Count, Sum

    from brokers.models import PaperOrder
    from orders.books import usage_recount, usage_running
    from orders.models import Funds, LedgerEntry, Order, Position, Trade
    from orders.services import position_margin

    problems: list[str] = []
    statuses = dict(
        Order.objects.filter(account_id__in=account_ids).values_list("status").annotate(n=Count("id")).order_by()
    )
    orders = sum(statuses.values())
    if orders != accepted:
        problems.append(f"{orders} orders stored, {accepted} accepted (201)")
    if set(statuses) - {"FILLED"}:
        problems.append(f"orders not FILLED: { {k: v for k, v in statuses.items() if k != 'FILLED'} }")
    trades = Trade.objects.filter(account_id__in=account_ids).count()
    if trades != orders:
        problems.append(f"{trades} trades for {orders} orders")
    paper = PaperOrder.objects.filter(account_id__in=account_ids).count()
    if paper != orders:
        problems.append(f"{paper} paper orders for {orders} orders (each must reach the exchange exactly once)")
    left_reserved = Order.objects.filter(account_id__in=account_ids).exclude(reserved_amount=0).count()
    if left_reserved:
        problems.append(f"{left_reserved} orders still hold a reservation")
    accounts = []
    for account_id in account_ids:
        funds = Funds.objects.get(account_id=account_id)
        ledger = LedgerEntry.objects.filter(account_id=account_id).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        filled = dict(
            Order.objects.filter(account_id=account_id, status="FILLED")
            .values_list("instrument_id")
            .annotate(q=Sum("filled_quantity"))
            .order_by()
        )
        positions = dict(
            Position.objects.filter(account_id=account_id)
            .exclude(net_quantity=0)
            .values_list("instrument_id", "net_quantity")
        )
        # The service's definition: each position's margin rounded, then summed.
        margin = sum(
            (
                position_margin(
                    instrument=p.instrument,
                    product=p.product,
                    net_quantity=p.net_quantity,
                    average_price=p.average_price,
                )
                for p in Position.objects.filter(account_id=account_id).select_related("instrument")
            ),
            Decimal(0),
        )
        ok = {
            "ledger_sums_to_cash": ledger == funds.cash,
            "reserved_zero": funds.reserved == 0,
            "positions_match_fills": positions == filled,
            "margin_used_matches_positions": margin == funds.margin_used,
            "risk_usage_matches_rows": usage_running(funds) == usage_recount(account_id),
        }
        for name, good in ok.items():
            if not good:
                problems.append(f"account {account_id}: {name} fails")
        accounts.append(
            f"account {account_id}: {sum(filled.values())} filled; cash {funds.cash} vs ledger sum {ledger}; "
            f"reserved {funds.reserved}; margin_used {funds.margin_used} vs positions {margin}: "
            + ("ok" if all(ok.values()) else "FAILED " + ", ".join(k for k, v in ok.items() if not v))
        )
    connections.close_all()
    return {
        "ok": not problems,
        "problems": problems,
        "orders": orders,
        "statuses": statuses,
        "trades": trades,
        "paper_orders": paper,
        "accounts": accounts,
    }
