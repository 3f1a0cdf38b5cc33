import logging
import signal
import threading

from django.core.management.base import BaseCommand

from accounts.models import TradingAccount
from brokers.angelone.order_stream import OrderUpdateStream
from brokers.models import BrokerAccount


class Command(BaseCommand):
    help = (
        "Stream order updates from Angel One for every connected live account onto the order-update "
        "bus (the orders app applies them). Polling and reconciliation remain the fallback."
    )

    def add_arguments(self, parser):
        parser.add_argument("--refresh", type=float, default=10.0, help="seconds between looks for new accounts")
        parser.add_argument("--duration", type=float, help="stop after this many seconds")

    def handle(self, *args, refresh: float, duration: float | None, **opts):
        logging.getLogger("brokers").setLevel(logging.INFO)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        streams: dict[int, OrderUpdateStream] = {}
        deadline = threading.Timer(duration, stop.set) if duration else None
        if deadline:
            deadline.start()
        while not stop.is_set():
            wanted = {
                account.pk: account
                for account in BrokerAccount.objects.select_related("account")
                .filter(broker="angelone", account__mode=TradingAccount.Mode.LIVE)
                .exclude(status=BrokerAccount.Status.DISCONNECTED)
            }
            for pk in set(streams) - set(wanted):
                streams.pop(pk).stop()
            for pk in set(wanted) - set(streams):
                streams[pk] = OrderUpdateStream(wanted[pk])
                streams[pk].start()
                self.stdout.write(f"order updates: streaming for {wanted[pk].client_code}")
            stop.wait(refresh)
        for stream in streams.values():
            stream.stop()
        if deadline:
            deadline.cancel()
        self.stdout.write("order updates: stopped")
