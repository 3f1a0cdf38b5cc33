"""Fixtures of the monitoring tests: local SMTP/HTTP servers, eager deliveries, a frozen clock, and the
orders and brokers fixtures for the metrics tests that watch those apps count."""

from datetime import timedelta

import pytest
from celery import current_app

from core import clock
from tests.brokers.conftest import fake, fake_server, live_account  # noqa: F401 - fixtures
from tests.monitoring.servers import HttpReceiver, SmtpSink
from tests.orders.conftest import market, run, trader  # noqa: F401 - fixtures

BOT_TOKEN = "123456:test-bot-token"


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
        yield sink


@pytest.fixture
def webhook(settings):
    settings.NOTIFY_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def telegram(settings):
    with HttpReceiver() as receiver:
        settings.TELEGRAM_API_URL, settings.TELEGRAM_BOT_TOKEN = receiver.url, BOT_TOKEN
        yield receiver


@pytest.fixture
def commit(django_capture_on_commit_callbacks, monkeypatch):
    """Run `fn` as if its transaction committed: on-commit callbacks fire, and the delivery tasks they
    queue run in this process at once (Celery's eager mode, retries included)."""
    import django.db

    # Tasks close stale connections around themselves; in a test that would close the test's transaction.
    monkeypatch.setattr(django.db, "close_old_connections", lambda: None)
    current_app.conf.task_always_eager = True

    def call(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    yield call
    current_app.conf.task_always_eager = False


class Clock:
    def __init__(self) -> None:
        self.at = clock.now()

    def __call__(self):
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def frozen_clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(clock, "now", frozen)
    return frozen
