"""The audit chains are keyed (HMAC with AUDIT_CHAIN_KEY, which is not in the database) and anchored outside it.

Someone who can write to the database but does not hold the key can change a row and recompute every later
hash with plain SHA-256 (the chains' old, unkeyed function), or cut off the newest rows: `verify_audit` catches
both. `reseal_audit` moves chains sealed before the key (plain SHA-256) onto it, once.
"""

import hashlib
import json

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import AuditSeal, SecurityEvent
from accounts.services import audit_seal, security
from accounts.services.security import security_event_record
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def unkeyed(prev_hash: str, content: str) -> str:
    """The chains' function before the key: anyone can compute it."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def rehash_security_log_from(first_id: int) -> None:
    """What an attacker with database access does after changing a row: recompute every later link."""
    table = SecurityEvent._meta.db_table
    rows = list(SecurityEvent.objects.filter(id__gte=first_id).order_by("id"))
    prev = SecurityEvent.objects.filter(id__lt=first_id).order_by("-id").values_list("hash", flat=True).first()
    prev = prev or SecurityEvent.GENESIS
    with connection.cursor() as cursor:
        for row in rows:
            digest = unkeyed(prev, security.canonical(row))
            cursor.execute(f"UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", [prev, digest, row.id])
            prev = digest


def rehash_audit_seals_from(first_entry_id: int) -> None:
    table = AuditSeal._meta.db_table
    seals = list(AuditSeal.objects.filter(entry_id__gte=first_entry_id).order_by("id"))
    prev = AuditSeal.objects.filter(id__lt=seals[0].id).order_by("-id").values_list("hash", flat=True).first()
    prev = prev or AuditSeal.GENESIS
    with connection.cursor() as cursor:
        for seal in seals:
            digest = unkeyed(prev, audit_seal.canonical(LogEntry.objects.get(pk=seal.entry_id)))
            cursor.execute(f"UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", [prev, digest, seal.id])
            prev = digest


def events(user, count: int) -> list[SecurityEvent]:
    return [security_event_record(kind=Kind.LOGIN_SUCCEEDED, user=user, detail={"n": n}) for n in range(count)]


def audited_changes(count: int) -> list[LogEntry]:
    user = UserFactory()
    for n in range(count - 1):
        user.first_name = f"Name {n}"
        user.save()
    return list(LogEntry.objects.get_for_object(user).order_by("pk"))


@pytest.fixture
def anchor(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchor" / "audit-anchor.json")  # a folder made on demand
    return tmp_path / "anchor" / "audit-anchor.json"


def test_a_security_event_changed_and_rehashed_without_the_key_is_caught(user):
    rows = events(user, 4)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {SecurityEvent._meta.db_table} SET ip = %s WHERE id = %s", ["192.0.2.66", rows[1].pk])
    rehash_security_log_from(rows[1].pk)
    with pytest.raises(CommandError, match=f"Security log broken at event {rows[1].pk}: .*without the key"):
        call_command("verify_audit")


def test_an_audit_entry_changed_and_resealed_without_the_key_is_caught():
    entries = audited_changes(3)
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE auditlog_logentry SET changes = \'{"is_staff": ["False", "True"]}\' WHERE id = %s',
            [entries[1].pk],
        )
    rehash_audit_seals_from(entries[1].pk)
    with pytest.raises(CommandError, match=f"Audit trail broken at entry {entries[1].pk}: .*without the key"):
        call_command("verify_audit")


def test_verify_audit_records_both_heads_outside_the_database(user, anchor, capsys):
    rows = events(user, 3)
    entries = audited_changes(2)
    call_command("verify_audit")
    recorded = json.loads(anchor.read_text())
    assert recorded["security"] == {"row": rows[-1].pk, "hash": rows[-1].hash}
    last_seal = AuditSeal.objects.get(entry_id=entries[-1].pk)
    assert recorded["audit"] == {"row": entries[-1].pk, "hash": last_seal.hash}
    assert rows[-1].hash in capsys.readouterr().out  # the head is in the log the operator keeps too


def test_cutting_off_the_newest_security_events_is_caught_against_the_anchor(user, anchor):
    rows = events(user, 5)
    call_command("verify_audit")
    with connection.cursor() as cursor:  # the chain left behind is still intact in itself
        cursor.execute(f"DELETE FROM {SecurityEvent._meta.db_table} WHERE id >= %s", [rows[3].pk])
    with pytest.raises(CommandError, match=f"Security log .*short of event {rows[4].pk}.*newest"):
        call_command("verify_audit")


def test_cutting_off_the_newest_audit_entries_is_caught_against_the_anchor(anchor):
    entries = audited_changes(4)
    call_command("verify_audit")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditSeal._meta.db_table} WHERE entry_id >= %s", [entries[2].pk])
        cursor.execute("DELETE FROM auditlog_logentry WHERE id >= %s", [entries[2].pk])
    with pytest.raises(CommandError, match=f"Audit trail .*short of entry {entries[3].pk}.*newest"):
        call_command("verify_audit")


def test_rows_added_after_the_anchor_move_it_forward(user, anchor):
    events(user, 2)
    call_command("verify_audit")
    later = events(user, 2)
    call_command("verify_audit")
    assert json.loads(anchor.read_text())["security"]["row"] == later[-1].pk


def test_a_chain_sealed_before_the_key_is_resealed_once_and_then_verifies(user, anchor, capsys):
    rows = events(user, 3)
    entries = audited_changes(3)
    rehash_security_log_from(rows[0].pk)  # as the platform sealed them before AUDIT_CHAIN_KEY
    rehash_audit_seals_from(AuditSeal.objects.order_by("id").first().entry_id)
    with pytest.raises(CommandError, match=r"run `manage\.py reseal_audit` once"):
        call_command("verify_audit")
    call_command("reseal_audit")
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "Security log intact" in out and "audit trail intact" in out
    assert json.loads(anchor.read_text())["audit"]["row"] == entries[-1].pk


def test_reseal_refuses_a_chain_broken_before_it(user, anchor):
    rows = events(user, 3)
    rehash_security_log_from(rows[0].pk)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {SecurityEvent._meta.db_table} SET ip = %s WHERE id = %s", ["192.0.2.66", rows[1].pk])
    before = list(SecurityEvent.objects.order_by("id").values_list("hash", flat=True))
    with pytest.raises(CommandError, match=f"event {rows[1].pk}"):
        call_command("reseal_audit")
    assert list(SecurityEvent.objects.order_by("id").values_list("hash", flat=True)) == before  # nothing rewritten


def test_reseal_refuses_once_a_keyed_chain_was_anchored(user, anchor):
    """Else someone could rewrite rows without the key and have the operator's reseal launder them."""
    rows = events(user, 3)
    call_command("verify_audit")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {SecurityEvent._meta.db_table} SET ip = %s WHERE id = %s", ["192.0.2.66", rows[1].pk])
    rehash_security_log_from(rows[1].pk)
    with pytest.raises(CommandError, match="already anchored"):
        call_command("reseal_audit")
