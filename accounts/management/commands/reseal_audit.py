"""Move the audit chains sealed before AUDIT_CHAIN_KEY (plain SHA-256) onto the key: run once after upgrading."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.audit_anchor import ResealRefused, audit_reseal


class Command(BaseCommand):
    help = (
        "Re-seal the security log and the audit trail with AUDIT_CHAIN_KEY, once, after upgrading from the "
        "unkeyed chains. Refuses a chain broken in itself, and chains already anchored by verify_audit."
    )

    def handle(self, *args, **options) -> None:
        try:
            reports = audit_reseal()
        except ResealRefused as exc:
            raise CommandError(str(exc)) from None
        problems = [r.problem for r in reports if r.problem]
        if problems:
            raise CommandError(" ".join(problems))
        counts = ", ".join(f"{r.chain.label.lower()}: {r.walk.checked}" for r in reports)
        self.stdout.write(self.style.SUCCESS(f"Re-sealed with AUDIT_CHAIN_KEY and anchored ({counts})."))
