"""Runs the fake Angel One in a background thread of the test process, on a loopback port."""

import asyncio
import threading

import httpx
from aiohttp import web

from .server import FakeAngelOne


class FakeServer:
    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.fake = FakeAngelOne()
        self.host, self.port = host, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-angelone", daemon=True)
        self.runner: web.AppRunner | None = None
        self.site: web.TCPSite | None = None

    @property
    def state(self):
        return self.fake.state

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://{self.host}:{self.port}/{path.lstrip('/')}"

    def run(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> "FakeServer":
        self.thread.start()
        self.runner = web.AppRunner(self.fake.app, handle_signals=False, access_log=None)
        self.run(self.runner.setup())
        self.up()
        return self

    def up(self) -> None:
        """Listen (again) on the same port."""

        async def listen():
            self.site = web.TCPSite(self.runner, self.host, self.port, reuse_address=True)
            await self.site.start()
            return self.site._server.sockets[0].getsockname()[1]

        self.port = self.run(listen())

    def down(self) -> None:
        """Stop listening and cut every open connection: as if the service vanished."""

        async def close():
            await self.site.stop()
            await self.fake.drop_sockets()
            for handler in list(self.runner.server.connections):
                handler.force_close()
                if handler.transport is not None:
                    handler.transport.abort()

        self.run(close())

    def stop(self) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    def admin(self, method: str, path: str, json=None) -> dict:
        response = httpx.request(method, f"{self.url}/admin/{path.lstrip('/')}", json=json, timeout=10)
        response.raise_for_status()
        return response.json()

    def faults(self, **values) -> dict:
        return self.admin("POST", "faults", values)

    def reset(self) -> None:
        self.admin("POST", "reset")
