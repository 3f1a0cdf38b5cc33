"""The fake's admin API: switch faults, fill or reject orders, push ticks, read the counters."""

from dataclasses import fields
from decimal import Decimal

from aiohttp import web

from .state import Faults


def add_admin_routes(fake) -> None:
    state = fake.state
    r = fake.app.router

    async def stats(request):
        return web.json_response(state.stats())

    async def set_faults(request):
        body = await request.json()
        names = {f.name for f in fields(Faults)}
        unknown = set(body) - names
        if unknown:
            return web.json_response({"error": f"unknown faults: {sorted(unknown)}"}, status=400)
        for name, value in body.items():
            setattr(state.faults, name, type(getattr(Faults(), name))(value))
        return web.json_response({"faults": state.stats()["faults"]})

    async def reset(request):
        state.reset()
        await fake.drop_sockets()
        return web.json_response({"reset": True})

    async def orders(request):
        return web.json_response(list(state.orders.values()))

    async def fill(request):
        row = state.orders.get(request.match_info["order_id"])
        if row is None or row["status"] not in ("open", "trigger pending"):
            return web.json_response({"error": "no such open order"}, status=404)
        body = await request.json() if request.can_read_body else {}
        price = Decimal(str(body["price"])) if body.get("price") else None
        trade = state.fill(row, price, body.get("quantity"))
        fake.publish_order(row)
        return web.json_response({"order": row, "trade": trade})

    async def reject(request):
        order_id = request.match_info["order_id"]
        body = await request.json() if request.can_read_body else {}
        fake.reject(order_id, body.get("text", "Rejected by the exchange"))
        return web.json_response({"order": state.orders.get(order_id)})

    async def expire_tokens(request):
        state.expire_sessions()
        return web.json_response({"expired": True})

    async def drop_ws(request):
        return web.json_response({"dropped": await fake.drop_sockets()})

    async def tick(request):
        body = await request.json()
        extra = {k: body[k] for k in ("last_qty", "volume", "sequence", "exchange_ms") if k in body}
        for side in ("bids", "asks"):
            if side in body:
                extra[side] = [(Decimal(str(p)), int(q), int(n)) for p, q, n in body[side]]
        if "ohlc" in body:
            extra["ohlc"] = tuple(Decimal(str(v)) for v in body["ohlc"])
        if "circuits" in body:
            extra["circuits"] = tuple(Decimal(str(v)) for v in body["circuits"])
        sent = await fake.push_tick(body["exchange"], str(body["token"]), Decimal(str(body["ltp"])), **extra)
        return web.json_response({"sent": sent})

    async def accounts(request):
        body = await request.json()
        state.add_account(**body)
        return web.json_response({"client_code": body["client_code"]})

    async def my_ip(request):
        return web.Response(text=request.remote or "", content_type="text/plain")

    async def sockets(request):
        return web.json_response(
            {
                "feed": [
                    {"client": c, "subscriptions": [[t, k, m] for (t, k), m in s.items()]}
                    for _ws, c, s in fake.feed_sockets
                ],
                "orders": len(fake.order_sockets),
            }
        )

    r.add_get("/admin/stats", stats)
    r.add_post("/admin/faults", set_faults)
    r.add_post("/admin/reset", reset)
    r.add_get("/admin/orders", orders)
    r.add_post("/admin/orders/{order_id}/fill", fill)
    r.add_post("/admin/orders/{order_id}/reject", reject)
    r.add_post("/admin/expire-tokens", expire_tokens)
    r.add_post("/admin/ws/drop", drop_ws)
    r.add_post("/admin/tick", tick)
    r.add_post("/admin/accounts", accounts)
    r.add_get("/admin/ip", my_ip)
    r.add_get("/admin/sockets", sockets)
