"""Browser tests: Playwright driving Debian's chromium against a live server."""

import os

import pytest

from tests.brokers.conftest import fake, fake_server  # noqa: F401 - the fake Angel One, for the live-trading page
from tests.orders.conftest import market  # noqa: F401 - demo instruments with fresh quotes

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; the live server and
# the ORM calls in tests are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Kolkata")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")  # htmx and our scripts are initialised, as for a person


@pytest.fixture
def feed(transactional_db):
    """A real feed process producing simulated ticks for whatever the test's users watch."""
    from tests.processes import FeedProcess

    process = FeedProcess()
    process.start()
    yield process
    process.stop()
