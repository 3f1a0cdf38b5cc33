"""HTTP to SmartAPI: one pooled keep-alive httpx client per account and process, timeouts on every call."""

import threading
import uuid
from typing import Any

import httpx
from django.conf import settings

from monitoring.tracing import outgoing_http_hook

from .endpoints import Endpoint
from .envelope import parse
from .errors import NetworkError

_clients: dict[tuple[int, str], httpx.Client] = {}
_lock = threading.Lock()
_MAC = ":".join(f"{(uuid.getnode() >> s) & 0xFF:02x}" for s in range(40, -1, -8))


def http_client(account_id: int) -> httpx.Client:
    root = settings.ANGELONE_ROOT_URL.rstrip("/")
    key = (account_id, root)
    with _lock:
        client = _clients.get(key)
        if client is None:
            timeout = httpx.Timeout(
                settings.ANGELONE_READ_TIMEOUT_SECONDS, connect=settings.ANGELONE_CONNECT_TIMEOUT_SECONDS
            )
            client = _clients[key] = httpx.Client(
                base_url=f"{root}/rest/",
                timeout=timeout,
                limits=httpx.Limits(max_connections=8, max_keepalive_connections=4, keepalive_expiry=30),
                event_hooks={"request": [outgoing_http_hook]},  # X-Request-ID of the request or task behind the call
            )
    return client


def close_http_clients() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def headers(*, api_key: str, public_ip: str | None, jwt: str | None) -> dict[str, str]:
    out = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-UserType": "USER",
        "X-SourceID": "WEB",
        "X-ClientLocalIP": "127.0.0.1",
        "X-ClientPublicIP": public_ip or "127.0.0.1",
        "X-MACAddress": _MAC,
        "X-PrivateKey": api_key,
    }
    if jwt:
        out["Authorization"] = f"Bearer {jwt}"
    return out


def send(account_id: int, endpoint: Endpoint, body: Any, suffix: str, request_headers: dict[str, str]) -> Any:
    """One HTTP exchange; transport failures say whether the request may have reached the broker."""
    client = http_client(account_id)
    try:
        response = client.request(
            endpoint.method,
            endpoint.path + suffix,
            json=body if endpoint.method == "POST" else None,
            headers=request_headers,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # Nothing left this machine: safe to send again later.
        raise NetworkError(f"Cannot reach Angel One ({type(exc).__name__}).", maybe_sent=False) from exc
    except httpx.TransportError as exc:
        # Sent (or partly sent) and no answer: the broker may have acted on it.
        raise NetworkError(f"No answer from Angel One ({type(exc).__name__}).", maybe_sent=True) from exc
    return parse(response.status_code, response.content)
