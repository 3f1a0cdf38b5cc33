"""API key material: making a key, its digest, reading one from a header, matching the caller's address.

A key looks like `tpk_1a2b3c4d5e6f.<43 url-safe characters>`: the part before the
dot is the prefix (stored in clear, shown to the owner, used to find the row);
the whole key is hashed with SHA-256 and only the digest is stored.
"""

import hashlib
import hmac
import ipaddress
import re
import secrets

KEY_PREFIX = "tpk_"
PREFIX_PATTERN = re.compile(r"^tpk_[0-9a-f]{12}$")
SECRET_BYTES = 32  # 256 bits: a plain digest is enough, no password hash needed


def key_generate() -> tuple[str, str]:
    """A new (prefix, full key)."""
    prefix = KEY_PREFIX + secrets.token_hex(6)
    return prefix, f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"


def key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def key_matches(raw_key: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(raw_key), digest)


def key_prefix(raw_key: str) -> str | None:
    """The prefix of a well-formed key, or None (then no lookup is needed)."""
    prefix, dot, secret = raw_key.partition(".")
    if not dot or not secret or not PREFIX_PATTERN.match(prefix):
        return None
    return prefix


def network_parse(text: str) -> str:
    """`10.0.0.7` or `10.0.0.0/24` (or IPv6) in its canonical form; ValueError when it is neither."""
    network = ipaddress.ip_network(text.strip(), strict=False)
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def address_allowed(address: str, networks: list[str]) -> bool:
    """Whether `address` is in one of `networks` (an empty list allows every address)."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    candidates = {ip, ip.ipv4_mapped} if getattr(ip, "ipv4_mapped", None) else {ip}
    for text in networks:
        network = ipaddress.ip_network(text, strict=False)
        if any(candidate.version == network.version and candidate in network for candidate in candidates):
            return True
    return False


def address_or_none(text: str) -> str | None:
    """`text` if it is an IP address (what REMOTE_ADDR should hold), else None."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def address_group(text: str) -> str:
    """What limits count as one address: an IPv4 address, or the /64 network of an IPv6 one.

    A single IPv6 customer gets a /64 (or more) and can send from any of its 2^64 addresses.
    """
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64] or "unknown"
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))
