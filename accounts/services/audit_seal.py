"""The audit trail's own hash chain: every django-auditlog entry is sealed as it is written.

Entries are append-only: changing or deleting one through the ORM raises (the
signals below), and the chain shows anything done around the ORM: an entry
changed, removed or added without its seal. `manage.py verify_audit` checks it. Seals are keyed with
AUDIT_CHAIN_KEY (`chain.py`), so nobody without the key can re-seal the entries after one they changed.
"""

import json
from datetime import UTC

from auditlog.models import LogEntry
from django.db import connection, transaction

from ..models import AuditSeal
from .chain import ChainBreak, ChainWalk, Head, keyed_digest, mismatch_reason, reseal_chain

SEAL_LOCK_ID = 7_215_032_902  # the advisory lock that serialises seals (PostgreSQL)


def canonical(entry: LogEntry) -> str:
    content = {
        "id": entry.pk,
        "content_type": entry.content_type_id,
        "object_pk": entry.object_pk,
        "object_repr": entry.object_repr,
        "action": entry.action,
        "changes": entry.changes,
        "actor": entry.actor_id,
        "remote_addr": entry.remote_addr,
        "timestamp": entry.timestamp.astimezone(UTC).isoformat(),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def seal_digest(prev_hash: str, entry: LogEntry) -> str:
    return keyed_digest(prev_hash, canonical(entry))


def _lock_seals() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_ID])


@transaction.atomic
def audit_entry_seal(entry: LogEntry) -> AuditSeal:
    _lock_seals()
    entry = LogEntry.objects.get(pk=entry.pk)  # as stored: what verification will read back
    last = AuditSeal.objects.order_by("-id").values_list("hash", flat=True).first() or AuditSeal.GENESIS
    return AuditSeal.objects.create(entry_id=entry.pk, prev_hash=last, hash=seal_digest(last, entry))


def _seal_break(prev: str, seal: AuditSeal, entry: LogEntry | None) -> ChainBreak | None:
    if seal.prev_hash != prev:
        return ChainBreak(seal.entry_id, "its seal does not follow the one before it (a seal removed)")
    if entry is None:
        return ChainBreak(seal.entry_id, "the entry was removed")
    if seal.hash != seal_digest(prev, entry):
        changed = "the entry does not match its seal (changed)"
        return ChainBreak(seal.entry_id, mismatch_reason(prev, canonical(entry), seal.hash, changed))
    return None


def audit_chain_verify() -> ChainWalk:
    """Walk the seals oldest first against the entries: how many were checked, the first break, the head."""
    prev, checked, head = AuditSeal.GENESIS, 0, None
    entries = LogEntry.objects.in_bulk(list(AuditSeal.objects.values_list("entry_id", flat=True)))
    for seal in AuditSeal.objects.order_by("id").iterator(chunk_size=2000):
        broken = _seal_break(prev, seal, entries.get(seal.entry_id))
        if broken is not None:
            return ChainWalk(checked, broken, head)
        prev, checked, head = seal.hash, checked + 1, Head(seal.entry_id, seal.hash)
    unsealed = LogEntry.objects.exclude(pk__in=entries.keys()).order_by("pk").values_list("pk", flat=True).first()
    if unsealed is not None:
        return ChainWalk(checked, ChainBreak(unsealed, "the entry has no seal (added around the audit trail)"), head)
    return ChainWalk(checked, None, head)


def audit_chain_reaches(head: Head) -> bool:
    return AuditSeal.objects.filter(entry_id=head.row, hash=head.hash).exists()


def _contents(seals: list[AuditSeal]) -> list[str | None]:
    entries = LogEntry.objects.in_bulk([seal.entry_id for seal in seals])
    return [canonical(entries[s.entry_id]) if s.entry_id in entries else None for s in seals]


@transaction.atomic
def audit_chain_reseal() -> int:
    """Re-seal every entry with AUDIT_CHAIN_KEY (raises ChainBroken, rewriting nothing, if the chain is broken)."""
    _lock_seals()
    return reseal_chain(AuditSeal, _contents, lambda seal: seal.entry_id)


def _refuse_change(sender, instance, **kwargs) -> None:
    if instance.pk is not None and not instance._state.adding:
        raise PermissionError("Audit entries are append-only.")


def _refuse_delete(sender, instance, **kwargs) -> None:
    raise PermissionError("Audit entries are append-only.")


def _seal_new(sender, instance, created, **kwargs) -> None:
    if created:
        audit_entry_seal(instance)


def audit_trail_guard() -> None:
    """Connect the signals: seal each new entry; refuse changes and deletions through the ORM."""
    from django.db.models.signals import post_save, pre_delete, pre_save

    pre_save.connect(_refuse_change, sender=LogEntry, dispatch_uid="audit_refuse_change")
    pre_delete.connect(_refuse_delete, sender=LogEntry, dispatch_uid="audit_refuse_delete")
    post_save.connect(_seal_new, sender=LogEntry, dispatch_uid="audit_seal_new")
