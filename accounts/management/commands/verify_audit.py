"""Recompute the security log's hash chain; exit status 1 at the first broken row."""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.security import security_chain_verify


class Command(BaseCommand):
    help = "Check that no security event was changed or removed (recomputes the hash chain)."

    def handle(self, *args, **options) -> None:
        checked, broken = security_chain_verify()
        if broken is not None:
            message = f"Security log broken at event {broken.row_id}: {broken.reason}."
            raise CommandError(f"{message} The {checked} event(s) before it are intact.")
        self.stdout.write(self.style.SUCCESS(f"Security log intact: {checked} event(s) checked."))
