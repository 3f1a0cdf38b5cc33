"""Concurrent appends keep the security log's hash chain a single unbroken line (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from accounts.models import SecurityEvent
from accounts.services.security import security_chain_verify, security_event_record
from tests.accounts.factories import UserFactory
from tests.conftest import requires_postgres

THREADS, EACH = 8, 10


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain():
    user = UserFactory()
    barrier = threading.Barrier(THREADS)
    missing: list[int] = []

    def append(n: int) -> None:
        try:
            barrier.wait()
            for i in range(EACH):
                if (
                    security_event_record(kind=SecurityEvent.Kind.LOGIN_SUCCEEDED, user=user, detail={"t": n, "i": i})
                    is None
                ):
                    missing.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert missing == []
    assert SecurityEvent.objects.count() == THREADS * EACH
    walk = security_chain_verify()
    assert (walk.checked, walk.broken) == (THREADS * EACH, None)


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_concurrent_audited_changes_are_sealed_in_one_unbroken_chain():
    from auditlog.models import LogEntry

    from accounts.models import AuditSeal
    from accounts.services.audit_seal import audit_chain_verify

    users = [UserFactory() for _ in range(THREADS)]
    before = AuditSeal.objects.count()
    barrier = threading.Barrier(THREADS)

    def change(n: int) -> None:
        try:
            barrier.wait()
            for i in range(EACH):
                users[n].first_name = f"t{n} i{i}"
                users[n].save()  # one auditlog entry each, sealed in the same transaction
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AuditSeal.objects.count() == before + THREADS * EACH == LogEntry.objects.count()
    walk = audit_chain_verify()
    assert (walk.checked, walk.broken) == (LogEntry.objects.count(), None)
