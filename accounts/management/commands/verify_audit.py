"""Recompute the audit trail's hash chains (the security log, auditlog's entries); exit status 1 at a break."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.audit_seal import audit_chain_verify
from accounts.services.security import security_chain_verify


class Command(BaseCommand):
    help = "Check that no security event or audit entry was changed, removed or slipped in (recomputes the chains)."

    def handle(self, *args, **options) -> None:
        checked, broken = security_chain_verify()
        if broken is not None:
            message = f"Security log broken at event {broken.row_id}: {broken.reason}."
            raise CommandError(f"{message} The {checked} event(s) before it are intact.")
        sealed, broken_entry = audit_chain_verify()
        if broken_entry is not None:
            message = f"Audit trail broken at entry {broken_entry.row_id}: {broken_entry.reason}."
            raise CommandError(f"{message} The {sealed} entries before it are intact.")
        self.stdout.write(
            self.style.SUCCESS(f"Security log intact: {checked} event(s); audit trail intact: {sealed} entries.")
        )
