"""Security events: appending one to the hash chain, and checking the chain.

Each row's `hash` is HMAC-SHA256 under AUDIT_CHAIN_KEY of the previous hash and the row's canonical
content (`chain.py`), so a row changed or removed breaks the chain, and nobody without the key can
re-hash the rows after it to hide that. Appends
are serialised (a PostgreSQL advisory lock; SQLite's IMMEDIATE transactions already
take the write lock at BEGIN), and `prev_hash` is unique, so the chain never forks.
Recording never breaks the action it records: a failure is logged and dropped.
"""

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction

from core import clock
from core.push import stream_nudge
from monitoring.tracing import current_request_id

from ..models import SecurityEvent, User
from .chain import ChainBreak, ChainWalk, Head, keyed_digest, mismatch_reason, reseal_chain

logger = logging.getLogger(__name__)
Kind = SecurityEvent.Kind
# Any fixed 64-bit number: the one advisory lock that serialises appends to the chain.
CHAIN_LOCK_ID = 7_215_032_901


@dataclass(frozen=True)
class Client:
    ip: str | None = None
    user_agent: str = ""


_client: ContextVar[Client | None] = ContextVar("security_client", default=None)


def client_set(*, ip: str | None, user_agent: str):
    """Who is calling, for the events the current request causes (SecurityContextMiddleware sets it)."""
    return _client.set(Client(ip=ip or None, user_agent=(user_agent or "")[:300]))


def client_reset(token) -> None:
    _client.reset(token)


def canonical(row: SecurityEvent) -> str:
    content = {
        "created_at": row.created_at.astimezone(UTC).isoformat(),
        "kind": row.kind,
        "user_id": row.user_id,
        "username": row.username,
        "ip": row.ip,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "detail": row.detail,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_digest(prev_hash: str, row: SecurityEvent) -> str:
    return keyed_digest(prev_hash, canonical(row))


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])


def _new_row(*, kind: str, user: User | None, username: str, detail: dict | None) -> SecurityEvent:
    client = _client.get() or Client()  # outside a request: a task, a command
    ip_field = SecurityEvent._meta.get_field("ip")
    return SecurityEvent(
        created_at=clock.now(),
        kind=kind,
        user_id=user.pk if user is not None else None,
        username=(user.get_username() if user is not None else username)[:150],
        ip=ip_field.get_prep_value(client.ip),  # stored as the database will give it back
        user_agent=client.user_agent,
        request_id=current_request_id() or "",
        detail=json.loads(json.dumps(detail or {}, default=str)),  # plain JSON, as it will be read back
    )


@transaction.atomic
def _append(row: SecurityEvent) -> SecurityEvent:
    _lock_chain()
    last = SecurityEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    row.prev_hash = last or SecurityEvent.GENESIS
    row.hash = chain_digest(row.prev_hash, row)
    row.save(force_insert=True)
    return row


def security_event_record(
    *, kind: str, user: User | None = None, username: str = "", detail: dict | None = None
) -> SecurityEvent | None:
    """Append one event for `user` (or an unknown `username`); the caller's address comes from the request."""
    if user is not None and kind in _ENDS_STREAMS:
        transaction.on_commit(lambda: stream_nudge("user.changed", user_id=user.pk))
    try:
        return _append(_new_row(kind=kind, user=user, username=username, detail=detail))
    except Exception:
        logger.exception("could not record the security event %s", kind)
        return None


# Events after which the user's live-stream connections are checked again at once (they may have to close).
_ENDS_STREAMS = {
    SecurityEvent.Kind.LOGOUT,
    SecurityEvent.Kind.ACCOUNT_LOCKED,
    SecurityEvent.Kind.PASSWORD_CHANGED,
    SecurityEvent.Kind.API_KEY_REVOKED,
    SecurityEvent.Kind.ADMIN_CHANGE,
}


def security_chain_verify() -> ChainWalk:
    """Recompute the chain, oldest first: how many rows were checked, the first broken one, the head."""
    prev, checked, head = SecurityEvent.GENESIS, 0, None
    for row in SecurityEvent.objects.order_by("id").iterator(chunk_size=2000):
        if row.prev_hash != prev:
            reason = "its previous-hash does not match the row before it (removed or moved)"
            return ChainWalk(checked, ChainBreak(row.id, reason), head)
        if row.hash != chain_digest(prev, row):
            reason = mismatch_reason(prev, canonical(row), row.hash, "its content does not match its hash (changed)")
            return ChainWalk(checked, ChainBreak(row.id, reason), head)
        prev, checked, head = row.hash, checked + 1, Head(row.id, row.hash)
    return ChainWalk(checked, None, head)


def security_chain_reaches(head: Head) -> bool:
    return SecurityEvent.objects.filter(id=head.row, hash=head.hash).exists()


@transaction.atomic
def security_chain_reseal() -> int:
    """Re-seal the whole log with AUDIT_CHAIN_KEY (raises ChainBroken, rewriting nothing, if it is broken)."""
    _lock_chain()
    return reseal_chain(SecurityEvent, lambda rows: [canonical(row) for row in rows], lambda row: row.id)
