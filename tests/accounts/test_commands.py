import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User

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
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(username="demo").count() == 1
    assert authenticate(username="demo", password="demo-pass-123") is not None


@override_settings(DEBUG=False, DEMO_PASSWORD="demo-pass-123")
def test_seed_demo_refuses_the_default_password_when_debug_is_off():
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("seed_demo")
    assert not User.objects.filter(username="demo").exists()


@override_settings(DEBUG=False, DEMO_PASSWORD="a-real-secret-demo-pw")
def test_seed_demo_accepts_a_chosen_password_when_debug_is_off():
    call_command("seed_demo")
    assert authenticate(username="demo", password="a-real-secret-demo-pw") is not None
