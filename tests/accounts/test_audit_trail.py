"""django-auditlog's entries are append-only and sealed in a hash chain that `verify_audit` checks."""

import itertools

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from accounts.models import AuditSeal
from accounts.services.audit_seal import audit_chain_verify
from monitoring.models import AlertRule
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def audited_changes(count: int) -> list[LogEntry]:
    """Changes people make (an admin editing traders): each leaves an auditlog entry."""
    user = UserFactory()
    for n in range(count - 1):
        user.first_name = f"Name {n}"
        user.save()
    return list(LogEntry.objects.get_for_object(user).order_by("pk"))


def test_every_entry_is_sealed_in_order_and_the_chain_verifies(capsys):
    entries = audited_changes(4)
    seals = list(AuditSeal.objects.order_by("id"))
    assert [s.entry_id for s in seals][-4:] == [e.pk for e in entries]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(seals))
    walk = audit_chain_verify()
    assert (walk.checked, walk.broken) == (len(seals), None)
    call_command("verify_audit")
    assert f"audit trail intact: {len(seals)} entries" in capsys.readouterr().out


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    entry = audited_changes(2)[-1]
    entry.changes = {"first_name": ["a", "b"]}
    for attempt in (entry.save, entry.delete, LogEntry.objects.filter(pk=entry.pk).delete):
        with pytest.raises(PermissionError), transaction.atomic():
            attempt()
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ('UPDATE auditlog_logentry SET changes = \'{"is_staff": ["False", "True"]}\' WHERE id = %s', "changed"),
        ("DELETE FROM auditlog_logentry WHERE id = %s", "the entry was removed"),
    ],
)
def test_verify_audit_finds_an_entry_changed_or_removed_with_raw_sql(tamper, reason):
    entries = audited_changes(3)
    with connection.cursor() as cursor:  # what someone with database access might do
        cursor.execute(tamper, [entries[1].pk])
    with pytest.raises(CommandError, match=f"Audit trail broken at entry {entries[1].pk}: .*{reason}"):
        call_command("verify_audit")


def test_verify_audit_finds_an_entry_slipped_in_without_its_seal():
    entries = audited_changes(2)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditSeal._meta.db_table} WHERE entry_id = %s", [entries[-1].pk])
    with pytest.raises(CommandError, match=f"entry {entries[-1].pk}: the entry has no seal"):
        call_command("verify_audit")


def test_alert_rules_are_in_the_audit_trail():
    rule = AlertRule.objects.order_by("pk").first()
    rule.threshold = rule.threshold + 1
    rule.save()
    entry = LogEntry.objects.get_for_object(rule).latest("timestamp")
    assert "threshold" in entry.changes
