import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User
from accounts.selectors import default_account_for

pytestmark = pytest.mark.django_db


def test_create_trader_is_idempotent_and_sets_the_password():
    call_command("create_trader", "asha", "--password", "first-password-1")
    call_command("create_trader", "asha", "--password", "second-password-2")
    assert User.objects.filter(username="asha").count() == 1
    assert authenticate(username="asha", password="second-password-2") is not None
    assert authenticate(username="asha", password="first-password-1") is None


def test_create_trader_refuses_a_short_password():
    with pytest.raises(CommandError, match="at least 8"):
        call_command("create_trader", "asha", "--password", "short")
    assert not User.objects.filter(username="asha").exists()


@override_settings(DEBUG=True, DEMO_PASSWORD="demo-pass-123")
def test_seed_demo_is_idempotent():
    from marketdata.models import Candle, Instrument, WatchlistItem

    call_command("seed_demo")
    counts = (Instrument.objects.count(), Candle.objects.count(), WatchlistItem.objects.count())
    call_command("seed_demo")
    assert User.objects.filter(username="demo").count() == 1
    assert authenticate(username="demo", password="demo-pass-123") is not None
    assert (Instrument.objects.count(), Candle.objects.count(), WatchlistItem.objects.count()) == counts
    demo = User.objects.get(username="demo")
    assert default_account_for(demo).always_open and counts[0] == 67 and counts[2] == 7


@override_settings(DEBUG=False, DEMO_PASSWORD="demo-pass-123")
def test_seed_demo_refuses_the_default_password_when_debug_is_off():
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not User.objects.filter(username="demo").exists()


@override_settings(DEBUG=False, DEMO_PASSWORD="a-real-secret-demo-pw")
def test_seed_demo_accepts_a_chosen_password_when_debug_is_off():
    call_command("seed_demo")
    assert authenticate(username="demo", password="a-real-secret-demo-pw") is not None


def test_create_trader_opens_a_paper_account_with_the_default_capital():
    from decimal import Decimal

    call_command("create_trader", "ravi", "--password", "ravi-password-1")
    account = default_account_for(User.objects.get(username="ravi"))
    assert account.mode == "paper" and account.funds.cash == Decimal("1000000")


def test_create_trader_funds_are_idempotent_and_adjusted_through_the_ledger():
    from decimal import Decimal

    from orders.models import LedgerEntry

    call_command("create_trader", "meera", "--password", "meera-password-1", "--funds", "5,00,000")
    call_command("create_trader", "meera", "--password", "meera-password-1", "--funds", "5,00,000")
    funds = default_account_for(User.objects.get(username="meera")).funds
    assert funds.cash == Decimal("500000") and LedgerEntry.objects.filter(account=funds.account).count() == 1
    call_command("create_trader", "meera", "--password", "meera-password-1", "--funds", "750000.50")
    funds.refresh_from_db()
    assert funds.cash == Decimal("750000.50")
    assert [e.kind for e in LedgerEntry.objects.filter(account=funds.account).order_by("id")] == [
        "DEPOSIT",
        "ADJUSTMENT",
    ]


@pytest.mark.parametrize("amount", ["lots", "-5", "1e30", "NaN"])
def test_create_trader_refuses_bad_amounts(amount):
    with pytest.raises(CommandError, match="--funds"):
        call_command("create_trader", "asha", "--password", "asha-password-1", "--funds", amount)
    assert not User.objects.filter(username="asha").exists()
