"""Recompute the audit trail's hash chains (the security log, auditlog's entries) and check them against the
heads recorded outside the database; exit status 1 at a break."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.audit_anchor import anchor_path, audit_verify


class Command(BaseCommand):
    help = (
        "Check that no security event or audit entry was changed, removed or slipped in (recomputes the keyed "
        "chains) and that the newest were not cut off (their heads are kept in AUDIT_ANCHOR_FILE)."
    )

    def handle(self, *args, **options) -> None:
        reports = audit_verify()
        problems = [r.problem for r in reports if r.problem]
        if problems:
            raise CommandError(" ".join(problems))
        security, audit = reports
        self.stdout.write(
            self.style.SUCCESS(
                f"Security log intact: {security.walk.checked} event(s); "
                f"audit trail intact: {audit.walk.checked} entries."
            )
        )
        for report in reports:
            head = report.walk.head
            where = f"{report.chain.noun} {head.row}, hash {head.hash}" if head else "empty"
            self.stdout.write(f"Head of the {report.chain.label.lower()}: {where}")
        self.stdout.write(f"Heads recorded in {anchor_path()}.")
