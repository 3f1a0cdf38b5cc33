"""The audit trail's own hash chain: every django-auditlog entry is sealed as it is written.

Entries are append-only: changing or deleting one through the ORM raises (the
signals below), and the chain shows anything done around the ORM: an entry
changed, removed or added without its seal. `manage.py verify_audit` checks it.
"""

import hashlib
import json
from datetime import UTC

from auditlog.models import LogEntry
from django.db import connection, transaction

from ..models import AuditSeal
from .security import ChainBreak

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
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


@transaction.atomic
def audit_entry_seal(entry: LogEntry) -> AuditSeal:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_ID])
    entry = LogEntry.objects.get(pk=entry.pk)  # as stored: what verification will read back
    last = AuditSeal.objects.order_by("-id").values_list("hash", flat=True).first() or AuditSeal.GENESIS
    return AuditSeal.objects.create(entry_id=entry.pk, prev_hash=last, hash=seal_digest(last, entry))


def audit_chain_verify() -> tuple[int, ChainBreak | None]:
    """Walk the seals oldest first against the entries: how many were checked, and the first break."""
    prev, checked = AuditSeal.GENESIS, 0
    entries = LogEntry.objects.in_bulk(list(AuditSeal.objects.values_list("entry_id", flat=True)))
    for seal in AuditSeal.objects.order_by("id").iterator(chunk_size=2000):
        entry = entries.get(seal.entry_id)
        if seal.prev_hash != prev:
            return checked, ChainBreak(seal.entry_id, "its seal does not follow the one before it (a seal removed)")
        if entry is None:
            return checked, ChainBreak(seal.entry_id, "the entry was removed")
        if seal.hash != seal_digest(prev, entry):
            return checked, ChainBreak(seal.entry_id, "the entry does not match its seal (changed)")
        prev, checked = seal.hash, checked + 1
    unsealed = LogEntry.objects.exclude(pk__in=entries.keys()).order_by("pk").values_list("pk", flat=True).first()
    if unsealed is not None:
        return checked, ChainBreak(unsealed, "the entry has no seal (added around the audit trail)")
    return checked, None


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
