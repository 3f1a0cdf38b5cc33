from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import trader_create_or_update
from marketdata.demo import DEMO_WATCHLIST, demo_history_backfill, demo_instruments_import
from marketdata.selectors import instrument_get, instrument_refs_resolve, parse_symbol_key, watchlist_for_user
from marketdata.services import watchlist_add
from marketdata.tasks import demo_history_extend_task
from orders.services import account_open


class Command(BaseCommand):
    help = "Create the demo trader and demo data: instruments, price history, a watchlist (idempotent)."

    def handle(self, *args, **options):
        password = settings.DEMO_PASSWORD
        if not settings.DEBUG and password == settings.DEMO_PASSWORD_DEFAULT:
            raise CommandError(
                "Refusing to create the demo trader with the well-known default password while DEBUG is off: "
                "set DEMO_PASSWORD."
            )
        user, created = trader_create_or_update(username="demo", password=password)
        # The demo market is simulated around the clock, so the demo account may trade at any hour.
        account_open(user=user, always_open=True)
        self.stdout.write(f"{'Created' if created else 'Kept'} trader demo (paper account, always open).")

        report = demo_instruments_import()
        self.stdout.write(f"Demo instruments: {report.summary()}")
        backfilled = demo_history_backfill()
        if backfilled:
            self.stdout.write(f"Generated price history for {backfilled} instruments.")
        self._queue_older_history()

        if not watchlist_for_user(user=user).exists():  # never undo what the trader removed
            refs = instrument_refs_resolve([parse_symbol_key(key) for key in DEMO_WATCHLIST])
            for key in DEMO_WATCHLIST:
                ref = refs.get(parse_symbol_key(key))
                if ref:
                    watchlist_add(user=user, instrument=instrument_get(instrument_id=ref.id))

    def _queue_older_history(self) -> None:
        """Years of history take the worker a minute or two: queued, so the platform starts now."""
        years, sessions = settings.DEMO_HISTORY_YEARS, settings.DEMO_HISTORY_MINUTE_DAYS
        if years <= 0 and sessions <= 0:
            return
        demo_history_extend_task.delay()
        self.stdout.write(
            f"Queued older demo history for the worker ({years} years of daily candles, {sessions} sessions of "
            "index minutes); its log shows the progress, and a second run adds nothing."
        )
