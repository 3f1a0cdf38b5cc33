"""The fake's WebSockets: market data 2.0 (binary ticks) and order updates (JSON)."""

import json

from aiohttp import WSMsgType, web

MAX_FEED_CONNECTIONS = 3


async def feed_socket(fake, request: web.Request) -> web.StreamResponse:
    state = fake.state
    client = state.feed_tokens.get(request.headers.get("x-feed-token", ""))
    if client is None or client != request.headers.get("x-client-code"):
        return web.Response(status=401, text="Invalid feed token")
    if sum(1 for ws, c, _ in fake.feed_sockets if c == client and not ws.closed) >= MAX_FEED_CONNECTIONS:
        return web.Response(status=429, text="Connection limit exceeded")
    ws = web.WebSocketResponse(autoping=True)
    await ws.prepare(request)
    subs: dict[tuple[int, str], int] = {}
    entry = (ws, client, subs)
    fake.feed_sockets.append(entry)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            if msg.data == "ping":
                state.pings += 1
                await ws.send_str("pong")
                continue
            try:
                request_body = json.loads(msg.data)
                action, params = int(request_body["action"]), request_body["params"]
                for group in params["tokenList"]:
                    for token in group["tokens"]:
                        key = (int(group["exchangeType"]), str(token))
                        if action == 1:
                            subs[key] = int(params["mode"])
                        else:
                            subs.pop(key, None)
            except (ValueError, KeyError, TypeError):
                await ws.send_str(json.dumps({"errorCode": "E1002", "errorMessage": "Invalid request"}))
    finally:
        fake.feed_sockets.remove(entry)
    return ws


async def order_socket(fake, request: web.Request) -> web.StreamResponse:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    client = fake.state.jwts.get(token)
    if client is None:
        return web.Response(status=401, text="Invalid token")
    ws = web.WebSocketResponse(autoping=True)
    await ws.prepare(request)
    entry = (ws, client)
    fake.order_sockets.append(entry)
    await ws.send_str(
        json.dumps({"user-id": client, "status-code": "AB00", "order-status": "", "error-message": "", "orderData": {}})
    )
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
    finally:
        fake.order_sockets.remove(entry)
    return ws
