"""The live stream's private events: written after the change they describe commits, read by the stream.

Whoever changes something a trader watches (an order, the funds, a position, a notice) calls
`stream_publish` inside its transaction. The event is written only once that transaction commits (never an
event for a rolled-back change), in a short transaction of its own that takes the user's next sequence
numbers; a unit of work wrapped in `stream_batch()` (the account's books) writes all of its events at once.
The stream server (the `stream` app) reads the log by user and sequence number: what is new since
it last looked, and what a reconnecting client missed.
"""

import logging
import threading
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from core import clock
from core.push import stream_nudge

from .models import StreamCursor, StreamEvent

logger = logging.getLogger(__name__)

PRIVATE_TOPICS = ("orders", "positions", "funds", "notices")
_local = threading.local()  # the events a stream_batch() of this thread is gathering


def stream_publish(*, user_id: int, topic: str, data: dict) -> None:
    """A private event for the user's stream, written once the current transaction commits (and never if it
    rolls back, savepoints included: Django's on-commit hooks decide)."""
    if topic not in PRIVATE_TOPICS:
        raise ValueError(f"{topic!r} is not a private topic of the stream")
    event = (user_id, topic, data)
    transaction.on_commit(lambda: _committed(event))


def _committed(event: tuple[int, str, dict]) -> None:
    gathered = getattr(_local, "gathered", None)
    if gathered is None:
        _write([event])
    else:
        gathered.append(event)


@contextmanager
def stream_batch():
    """Write the events that commit inside the block together, when it ends: wrap a unit of work *outside*
    its transaction (`with stream_batch(), transaction.atomic():`), so that its events, committed when the
    transaction ends, are one write instead of one each. Nested, only the outermost writes. Events whose
    transaction commits after the block (it was nested in an outer one) are written one by one then."""
    if getattr(_local, "gathered", None) is not None:
        yield
        return
    _local.gathered = gathered = []
    try:
        yield
    finally:
        _local.gathered = None
        if gathered:
            _write(gathered)


class Written(NamedTuple):
    """One event as the log holds it (what a StreamEvent row and the layer's message both carry)."""

    seq: int
    topic: str
    data: dict


def _write(events: list[tuple[int, str, dict]]) -> None:
    by_user: dict[int, list[tuple[str, dict]]] = defaultdict(list)
    for user_id, topic, data in events:
        by_user[user_id].append((topic, data))
    for user_id, mine in by_user.items():
        try:
            written = _append(user_id, mine)
        except Exception:
            # The change itself has committed: a lost event costs the stream, never the order.
            logger.exception("could not write %d events to user %s's stream", len(mine), user_id)
            continue
        # The events ride along: a stream server that has all before them needs no read of the log.
        stream_nudge("private.appended", user_id=user_id, events=[list(w) for w in written])


def _append(user_id: int, events: list[tuple[str, dict]]) -> list[Written]:
    """The user's next sequence numbers (their cursor row, locked by the UPDATE), and the events."""
    count = len(events)
    with transaction.atomic():
        cursor = StreamCursor.objects.filter(user_id=user_id)
        if not cursor.update(last_seq=F("last_seq") + count):
            StreamCursor.objects.get_or_create(user_id=user_id)
            cursor.update(last_seq=F("last_seq") + count)
        last = cursor.values_list("last_seq", flat=True).get()
        written = [Written(last - count + 1 + i, topic, data) for i, (topic, data) in enumerate(events)]
        StreamEvent.objects.bulk_create(
            StreamEvent(user_id=user_id, seq=w.seq, topic=w.topic, data=w.data) for w in written
        )
    return written


def stream_heads(user_ids) -> dict[int, int]:
    """Each user's last sequence number (0: none yet)."""
    rows = StreamCursor.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "last_seq")
    return dict(rows)


def stream_events_after(*, user_id: int, seq: int, limit: int = 500) -> list[StreamEvent]:
    """The user's events after `seq`, oldest first."""
    return list(StreamEvent.objects.filter(user_id=user_id, seq__gt=seq).order_by("seq")[:limit])


def stream_events_after_each(after: dict[int, int], *, limit: int = 2000) -> dict[int, list[StreamEvent]]:
    """For each user, their events after the sequence number given for them, oldest first.

    The users' heads first (one small query), then the events of those who have new ones (one query, none
    at all when nobody has: the usual answer, asked every few seconds for every connected user)."""
    heads = stream_heads(after)
    behind = {user_id: seq for user_id, seq in after.items() if heads.get(user_id, 0) > seq}
    if not behind:
        return {}
    wanted = Q()
    for user_id, seq in behind.items():
        wanted |= Q(user_id=user_id, seq__gt=seq)
    found: dict[int, list[StreamEvent]] = defaultdict(list)
    for event in StreamEvent.objects.filter(wanted).order_by("user_id", "seq")[:limit]:
        found[event.user_id].append(event)
    return dict(found)


def stream_log_trim() -> int:
    """Delete the events older than the resume window; beat runs it every few minutes."""
    horizon = clock.now() - timedelta(seconds=settings.STREAM_RESUME_SECONDS)
    deleted, _ = StreamEvent.objects.filter(created_at__lt=horizon).delete()
    return deleted
