from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from accounts.services import trader_create_or_update
from core.formatting import inr
from orders.models import Funds
from orders.services import account_open


def parse_amount(text: str) -> Decimal:
    """Rupees, with or without Indian digit grouping: 1000000, 10,00,000, 250000.50."""
    try:
        amount = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise CommandError(f"--funds {text!r} is not an amount of rupees") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e15"):
        raise CommandError(f"--funds {text!r} must be between 0 and 10^15 rupees")
    return amount


class Command(BaseCommand):
    help = (
        "Create a trader with a paper trading account, or bring an existing one to the given password "
        "and capital (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--funds",
            help="paper capital in rupees (default 10,00,000 for a new account); an existing account is "
            "adjusted to it with one ledger entry",
        )
        parser.add_argument(
            "--always-open",
            action="store_true",
            help="let the paper account take orders outside market hours (the simulated market never closes)",
        )

    def handle(self, *args, username: str, password: str, email: str, funds: str | None, always_open: bool, **options):
        if len(password) < 8:
            raise CommandError("The password must be at least 8 characters long.")
        amount = parse_amount(funds) if funds is not None else None
        user, created = trader_create_or_update(username=username, password=password, email=email)
        account = account_open(user=user, starting_funds=amount, always_open=always_open or None)
        cash = Funds.objects.get(account=account).cash  # read after the deposit, not the row cached at creation
        hours = ", open at all hours" if account.always_open else ""
        self.stdout.write(
            f"{'Created' if created else 'Updated'} trader {user.username}: {account.mode} account{hours}, "
            f"cash ₹{inr(cash)}."
        )
