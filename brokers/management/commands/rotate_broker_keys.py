from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from brokers.crypto import DecryptionFailed, fernet
from brokers.models import BrokerAccount

ENCRYPTED = [*BrokerAccount.SECRET_FIELDS, *BrokerAccount.TOKEN_FIELDS]


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored broker credential and session token with the first key of "
        "FIELD_ENCRYPTION_KEY. Rotate by putting a new key first (keep the old ones after it), "
        "running this, then removing the old keys."
    )

    def handle(self, *args, **options):
        fernet()  # a malformed key list fails here, before any row is touched
        total = BrokerAccount.objects.count()
        done = 0
        try:
            with transaction.atomic():
                # Reading decrypts with whichever key fits; saving encrypts with the first key. One row per
                # trader: a plain list (a server-side cursor would outlive a rollback on PostgreSQL).
                for account in list(BrokerAccount.objects.select_for_update().order_by("pk")):
                    account.save(update_fields=ENCRYPTED)
                    done += 1
                    self.stdout.write(f"\rre-encrypting: {done}/{total}", ending="")
        except DecryptionFailed as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        self.stdout.write(f"\rre-encrypted {done} broker accounts with the newest key")
