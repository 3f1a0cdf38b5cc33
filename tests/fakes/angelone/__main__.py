"""`python -m tests.fakes.angelone --port 9100`: the fake Angel One, for trying the platform by hand."""

import argparse
import asyncio
import random
from decimal import Decimal

from aiohttp import web

from .server import FakeAngelOne
from .state import TEST_CLIENT


async def _auto_ticks(fake: FakeAngelOne, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        subscribed = {key for _ws, _c, subs in fake.feed_sockets for key in subs}
        for (exchange, token), price in list(fake.state.prices.items()):
            from .ticks import EXCHANGE_TYPE

            if (EXCHANGE_TYPE[exchange], token) in subscribed:
                step = price * Decimal(random.gauss(0, 0.0005))
                new = max(Decimal("0.05"), (price + step).quantize(Decimal("0.05")))
                await fake.push_tick(exchange, token, new, last_qty=random.randint(1, 50))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--tick-interval", type=float, default=1.0, help="seconds between ticks (0: none)")
    args = parser.parse_args()
    fake = FakeAngelOne()
    base = f"http://{args.host}:{args.port}"
    print(f"Fake Angel One on {base}")
    print(f"  ANGELONE_ROOT_URL={base}")
    print(f"  ANGELONE_FEED_WS_URL=ws://{args.host}:{args.port}/smart-stream")
    print(f"  ANGELONE_ORDER_WS_URL=ws://{args.host}:{args.port}/smart-order-update")
    print(f"  BROKER_PUBLIC_IP_URL={base}/admin/ip")
    print(f"  scrip master: {base}/OpenAPI_File/files/OpenAPIScripMaster.json")
    print("  test login: " + ", ".join(f"{k}={v}" for k, v in TEST_CLIENT.items()))

    async def start_ticks(app):
        if args.tick_interval > 0:
            app["ticks"] = asyncio.create_task(_auto_ticks(fake, args.tick_interval))

    fake.app.on_startup.append(start_ticks)
    web.run_app(fake.app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
