"""What both audit chains (the security log, the seals of auditlog's entries) share: the keyed link, the
result of a walk, and re-sealing a chain made before the key.

A link is HMAC-SHA256(AUDIT_CHAIN_KEY, previous hash + the row's canonical content). The key is not in the
database, so someone who can write to it can change a row but cannot compute the hashes that would hide the
change. Chains written before the key used plain SHA-256 of the same text (`unkeyed_digest`): verification
names such a row, and `reseal_chain` moves a chain onto the key once.
"""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import models

UNKEYED_REASON = (
    "it is sealed without the key (plain SHA-256): either the chain predates AUDIT_CHAIN_KEY "
    "(run `manage.py reseal_audit` once) or someone without the key changed it and re-hashed the rest"
)
RESEAL_BATCH = 2000


def keyed_digest(prev_hash: str, content: str) -> str:
    return hmac.new(settings.AUDIT_CHAIN_KEY.encode(), (prev_hash + content).encode(), hashlib.sha256).hexdigest()


def unkeyed_digest(prev_hash: str, content: str) -> str:
    """The chains' link before AUDIT_CHAIN_KEY: only to recognise and re-seal rows sealed that way."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def mismatch_reason(prev_hash: str, content: str, stored: str, changed: str) -> str:
    """Why a stored hash does not match: sealed the old, unkeyed way, or `changed`."""
    return UNKEYED_REASON if hmac.compare_digest(stored, unkeyed_digest(prev_hash, content)) else changed


@dataclass(frozen=True)
class ChainBreak:
    row_id: int
    reason: str


@dataclass(frozen=True)
class Head:
    """The newest link: the row's id (an event's, or an audit entry's) and its hash."""

    row: int
    hash: str


@dataclass(frozen=True)
class ChainWalk:
    checked: int
    broken: ChainBreak | None
    head: Head | None


class ChainBroken(Exception):
    def __init__(self, broken: ChainBreak):
        super().__init__(f"{broken.row_id}: {broken.reason}")
        self.broken = broken


def reseal_chain(
    model: type[models.Model], contents: Callable[[list], list[str | None]], row_id: Callable[[models.Model], int]
) -> int:
    """Re-seal every link of `model`'s chain with the key, oldest first; the caller holds the chain's lock.

    Each row must still follow the one before it and match its hash, keyed or not (rows appended between
    the upgrade and this run are keyed already), else ChainBroken and nothing is rewritten (the caller's
    transaction rolls back). `contents(batch)` gives each row's canonical content (None: its entry is gone).
    """
    old_prev = new_prev = model.GENESIS
    last_id, resealed = 0, 0
    writer = model._base_manager  # a plain manager: these rows are otherwise append-only
    while batch := list(writer.filter(id__gt=last_id).order_by("id")[:RESEAL_BATCH]):
        for row, content in zip(batch, contents(batch), strict=True):
            if row.prev_hash != old_prev or content is None:
                raise ChainBroken(ChainBreak(row_id(row), "it does not follow the row before it, or its entry is gone"))
            if row.hash not in (keyed_digest(old_prev, content), unkeyed_digest(old_prev, content)):
                raise ChainBroken(ChainBreak(row_id(row), "its content does not match its hash (changed)"))
            old_prev = row.hash
            row.prev_hash, row.hash = new_prev, keyed_digest(new_prev, content)
            new_prev = row.hash
        writer.bulk_update(batch, ["prev_hash", "hash"])
        last_id, resealed = batch[-1].id, resealed + len(batch)
    return resealed
