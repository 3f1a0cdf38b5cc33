"""One process placing orders as fast as it can for one account (the rate limiter test runs two)."""

import json
import os
import sys
import time


def main() -> None:
    account_id, count, start_at = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading.settings")
    import django

    django.setup()
    from accounts.models import TradingAccount
    from brokers.base import BrokerError, OrderType, PlaceOrderRequest, Product, Side, Validity
    from brokers.registry import broker_for_account

    broker = broker_for_account(TradingAccount.objects.get(pk=account_id))
    placed, refused = 0, []
    time.sleep(max(0.0, start_at - time.time()))
    for n in range(count):
        request = PlaceOrderRequest(
            tag=f"H{os.getpid() % 100000}-{n}",
            exchange="NSE",
            symbol="SBIN-EQ",
            token="3045",
            side=Side.BUY,
            quantity=1,
            order_type=OrderType.MARKET,
            product=Product.MIS,
            validity=Validity.DAY,
        )
        try:
            broker.place_order(request)
            placed += 1
        except BrokerError as exc:
            refused.append(exc.code)
    print(json.dumps({"placed": placed, "refused": refused}))


if __name__ == "__main__":
    main()
