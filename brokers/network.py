"""The machine's outgoing address beside the static IP registered with the broker.

Brokers refuse orders from any address but the registered one, so a mismatch
is worth a warning before the first live order. How the address is learnt is
configurable: BROKER_PUBLIC_IP fixes it, otherwise BROKER_PUBLIC_IP_URL is
asked (any service answering with the address as plain text).
"""

import ipaddress
import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
CACHE_KEY = "brokers:outgoing-ip"


@dataclass(frozen=True, slots=True)
class IpCheck:
    registered: str | None
    outgoing: str | None
    matches: bool
    message: str


def outgoing_ip(*, refresh: bool = False) -> str | None:
    if settings.BROKER_PUBLIC_IP:
        return settings.BROKER_PUBLIC_IP
    if not refresh and (known := cache.get(CACHE_KEY)):
        return known
    if not settings.BROKER_PUBLIC_IP_URL:
        return None
    try:
        response = httpx.get(settings.BROKER_PUBLIC_IP_URL, timeout=httpx.Timeout(3.0))
        response.raise_for_status()
        address = str(ipaddress.ip_address(response.text.strip()))
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("could not learn the outgoing IP address: %s", exc)
        return None
    cache.set(CACHE_KEY, address, 300)
    return address


def ip_check(*, registered: str | None, refresh: bool = False) -> IpCheck:
    outgoing = outgoing_ip(refresh=refresh)
    if not registered:
        return IpCheck(None, outgoing, False, "No static IP is registered for this account: the broker refuses orders.")
    if outgoing is None:
        return IpCheck(registered, None, False, "The outgoing address could not be determined.")
    if ipaddress.ip_address(registered) != ipaddress.ip_address(outgoing):
        return IpCheck(
            registered,
            outgoing,
            False,
            f"Orders leave from {outgoing} but {registered} is registered: the broker will refuse them.",
        )
    return IpCheck(registered, outgoing, True, "The outgoing address is the registered static IP.")
