from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import trader_create_or_update


class Command(BaseCommand):
    help = "Create the demo trader and demo data (idempotent)."

    def handle(self, *args, **options):
        password = settings.DEMO_PASSWORD
        if not settings.DEBUG and password == settings.DEMO_PASSWORD_DEFAULT:
            raise CommandError(
                "Refusing to create the demo trader with the well-known default password while DEBUG is off: "
                "set DEMO_PASSWORD."
            )
        _, created = trader_create_or_update(username="demo", password=password)
        self.stdout.write(f"{'Created' if created else 'Kept'} trader demo.")
