"""Browser tests: Playwright driving Debian's chromium against a live server.

One browser and one live server serve the whole session; each test gets fresh
browser contexts (cookies, viewport). Screenshots land in the run's artefacts
folder (var/test/artifacts/screenshots/, outside git) for a reviewer to look at.
"""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from tests.brokers.conftest import fake, fake_server  # noqa: F401 - the fake Angel One, for the live-trading page
from tests.orders.conftest import market  # noqa: F401 - demo instruments with fresh quotes

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Waits are Playwright's auto-waiting `expect`; on a loaded 2-core machine 5 s (its default) is short.
EXPECT_TIMEOUT_MS = 10_000

# Playwright's sync API runs an event loop in this thread; the live server and
# the ORM calls in tests are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


PHONE = {"width": 390, "height": 844}
DESK = {"width": 1440, "height": 900}
SCREENSHOTS = Path(settings.VAR_DIR) / "artifacts" / "screenshots"


def watch_csp(page, violations: list[str]) -> None:
    """Collect what the browser refused under the Content Security Policy (it says so on the console)."""

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)


@pytest.fixture
def csp_violations():
    """Every page the test opened must have kept to the CSP: no inline script, style or eval was refused."""
    violations: list[str] = []
    yield violations
    assert violations == [], "Content Security Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Kolkata")
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch_csp(page, csp_violations)
    yield page
    context.close()


@pytest.fixture
def open_page(browser, live_server, csp_violations):
    """open_page(viewport, touch=False): a page in a fresh context of that size (a phone taps)."""
    contexts = []

    def make(viewport: dict, *, touch: bool = False):
        context = browser.new_context(
            base_url=live_server.url, timezone_id="Asia/Kolkata", viewport=viewport, has_touch=touch, is_mobile=touch
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        watch_csp(page, csp_violations)
        page.on("dialog", lambda dialog: dialog.accept())  # "Cancel order #3...?", "Square off ...?"
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def page_width(page) -> tuple[int, int]:
    """(document width, the screen's width): equal when nothing makes the page scroll sideways.

    The screen's width is the context's viewport, not window.innerWidth: a mobile browser (is_mobile)
    widens its layout viewport to a page that is too wide and zooms out, so innerWidth grows with it.
    """
    return page.evaluate("document.documentElement.scrollWidth"), page.viewport_size["width"]


# Tests whose pages show data that moves (a feed ticks, a worker fills) get a stream process of their own: the
# stream caches instruments by symbol for a minute, and each test's flush renumbers them. The others share one.
OWN_STREAM = ("feed", "worker", "live_stream")


@pytest.fixture(scope="session")
def _shared_stream(live_server):
    from tests.processes import StreamServer

    server = StreamServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def live_stream(request, live_server, settings):
    """The Procfile's stream process on the test database, where the pages open their socket (the pages
    update by push; without it they would say "reconnecting" and fall back to the slow poll)."""
    from tests.processes import StreamServer

    own = any(name in request.fixturenames for name in OWN_STREAM[:2]) or "live_stream" in _arguments(request)
    server = StreamServer() if own else request.getfixturevalue("_shared_stream")
    if own:
        server.start()
    settings.STREAM_URL = ""
    settings.STREAM_PORT = server.port
    yield server
    if own:
        server.stop()


def _arguments(request) -> set[str]:
    import inspect

    return set(inspect.signature(request.function).parameters)


@pytest.fixture(autouse=True)
def _fresh_status_cache():
    """The top bar remembers the feed's heartbeat for two seconds; tests must not see another's."""
    from dashboard.context_processors import feed_cache_clear

    feed_cache_clear()
    yield
    feed_cache_clear()


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")  # htmx and our scripts are initialised, as for a person


def placed_order_id(page) -> int:
    """The order a placement made, from its toast (a sheet closes once its order is placed), which is then
    dismissed: the next placement shows its own."""
    from playwright.sync_api import expect

    toast = page.get_by_test_id("toast-placed")
    expect(toast).to_have_count(1)
    order_id = int(toast.get_attribute("data-order-id"))
    toast.get_by_role("button", name="Dismiss").click()
    expect(toast).to_have_count(0)
    return order_id


def open_section(page, name: str) -> None:
    """Go to a section by its navigation link, through the menu where the screen folds it away."""
    toggle = page.get_by_test_id("menu-toggle")
    if toggle.is_visible():
        toggle.click()
    page.get_by_test_id(f"nav-{name}").click()
    page.wait_for_load_state("load")


@pytest.fixture
def feed(transactional_db):
    """A real feed process producing simulated ticks for whatever the test's users watch."""
    from tests.processes import FeedProcess

    process = FeedProcess()
    process.start()
    yield process
    process.stop()


WATCHED = ("NSE:SBIN-EQ", "NSE:INFY-EQ", "NFO:NIFTY29DEC26FUT")


@pytest.fixture
def trader(user):
    """A trader with ₹10,00,000 on an always-open paper account, watching what the tests trade.

    Watching matters: the feed ticks watched instruments, so MARKET orders have a fresh price.
    """
    from marketdata.demo import demo_history_backfill, demo_instruments_import
    from marketdata.selectors import instrument_get_by_key
    from marketdata.services import watchlist_add
    from orders.services import account_open

    demo_instruments_import()
    demo_history_backfill(session_minutes=30, days=5)
    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    for key in WATCHED:
        exchange, symbol = key.split(":")
        watchlist_add(user=user, instrument=instrument_get_by_key(exchange=exchange, symbol=symbol))
    return user


@pytest.fixture
def worker(exclusive_workers):
    """A real Celery worker process of this test's own (the shared one, if running, steps aside).

    Not the session's shared worker: each transactional test ends with a flush
    that recreates the content types under new ids, and a worker that lived
    through one keeps the old ids cached; its first audit-log row in the next
    test (auditlog records Order changes) then fails its foreign key at commit
    and the order stays SUBMITTED. Nothing is in flight at the end of a test, so
    a kill is safe and skips the 5-15 s of a warm shutdown.
    """
    process = exclusive_workers()
    yield process
    process.kill()
