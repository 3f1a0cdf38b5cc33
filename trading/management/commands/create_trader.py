from django.core.management.base import BaseCommand, CommandError

from accounts.services import trader_create_or_update


class Command(BaseCommand):
    help = "Create a trader, or bring an existing one to the given password (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str, password: str, email: str, **options):
        if len(password) < 8:
            raise CommandError("The password must be at least 8 characters long.")
        user, created = trader_create_or_update(username=username, password=password, email=email)
        self.stdout.write(f"{'Created' if created else 'Updated'} trader {user.username}.")
