"""Re-encrypt every encrypted value of every app with the newest FIELD_ENCRYPTION_KEY (wires apps together)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from brokers.models import BrokerAccount
from core.crypto import DecryptionFailed, decrypt, encrypt, fernet
from notifications.models import NotificationPreference


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (broker credentials and session tokens, notification webhook secrets) "
        "with the first key of FIELD_ENCRYPTION_KEY. Rotate by putting a new key first (keep the old ones "
        "after it), running this, then removing the old keys."
    )

    def handle(self, *args, **options):
        fernet()  # a malformed key list fails here, before any row is touched
        try:
            with transaction.atomic():  # all or nothing: one value that cannot be decrypted changes no row
                brokers = self._broker_accounts()
                webhooks = self._webhook_secrets()
        except DecryptionFailed as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        self.stdout.write(
            f"\rre-encrypted {brokers} broker accounts and {webhooks} webhook secrets with the newest key"
        )

    def _broker_accounts(self) -> int:
        # Reading decrypts with whichever key fits; saving encrypts with the first key. A plain list: a
        # server-side cursor would outlive a rollback on PostgreSQL.
        fields = [*BrokerAccount.SECRET_FIELDS, *BrokerAccount.TOKEN_FIELDS]
        rows = list(BrokerAccount.objects.select_for_update().order_by("pk"))
        for done, account in enumerate(rows, 1):
            account.save(update_fields=fields)
            self.stdout.write(f"\rre-encrypting broker accounts: {done}/{len(rows)}", ending="")
        return len(rows)

    def _webhook_secrets(self) -> int:
        rows = list(NotificationPreference.objects.select_for_update().exclude(webhook_secret="").order_by("pk"))
        for done, pref in enumerate(rows, 1):
            pref.webhook_secret = encrypt(decrypt(pref.webhook_secret))
            pref.save(update_fields=["webhook_secret"])
            self.stdout.write(f"\rre-encrypting webhook secrets: {done}/{len(rows)}", ending="")
        return len(rows)
