"""Every page on a phone (390x844, by touch) and on a desk (1440x900), against a live feed.

The pages come from the URLconf: every dashboard URL pattern is opened with its path parameters filled
from the objects the fixture makes, so a new page is checked without anyone remembering to add it (a
parameter with no filler fails the walk until FILLERS says what to put in it). An answer that is not a
whole page (a POST-only action's 405, an htmx fragment, JSON) is not a page and is left to its page.

On every page: nothing scrolls sideways, no value is hidden outside the screen or broken across lines,
text contrast is at least 4.5:1 (axe-core's color-contrast rule), destructive buttons stand at least
8 px from any other target, and on the phone every tap target is at least 44x44 px (links inside a
sentence excepted, as WCAG 2.5.8 does). The top bar says paper or live and each page's main action is
on screen. Each page is screenshotted at both sizes into var/test/artifacts/screenshots/ for a reviewer.
"""

import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from accounts.selectors import default_account_for
from marketdata.selectors import instrument_get_by_key
from orders.books import AccountBooks, risk_usage_verify
from orders.models import Order, OrderStatus
from orders.services import order_place
from tests.e2e.conftest import DESK, PHONE, login, screenshot
from tests.orders.conftest import params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MIN_TARGET_PX = 44  # Apple's and WCAG 2.5.5's size for a finger
DESTRUCTIVE_GAP_PX = 8
CHECKS_JS = (Path(__file__).parent / "layout_checks.js").read_text()
# Not the trader's dashboard: the API and its docs, the admin, health checks, metrics, files.
NOT_DASHBOARD = ("api/", "admin/", "health/", "metrics", "favicon.ico", "static/", "media/")
OPTION = "NIFTY29DEC2625500CE"


# --- The objects the pages show ------------------------------------------------------------------


@dataclass
class World:
    """One of everything a page can show, and what to put in each path parameter."""

    resting: Order
    executed: Order
    backtests: list = field(default_factory=list)
    sweep: object = None
    run: object = None
    api_key: object = None


def _order_in(trader, instrument, status: str, **fields) -> Order:
    """An order in `status`, set directly (only its row is shown): the book's other states."""
    limit = params(quantity=2, order_type="LIMIT", price="801")
    order, _ = order_place(user=trader, instrument=instrument, params=limit)
    Order.objects.filter(pk=order.pk).update(status=status, **fields)
    risk_usage_verify([order.account_id])
    order.refresh_from_db()
    return order


def _executed_order(trader, instrument) -> Order:
    """A filled order for the Executed tab."""
    return _order_in(trader, instrument, OrderStatus.FILLED, filled_quantity=2, average_price="801.10")


def _positions(trader, sbin) -> None:
    """A delivery holding and an intraday position, so Exit and Square off are on the pages."""
    with AccountBooks.locked(default_account_for(trader).id) as books:  # as its callers do
        for product, quantity, price in (("CNC", 10, "800.05"), ("MIS", 25, "799.10")):
            books.position_fill(
                instrument_id=sbin.id,
                product=product,
                side="BUY",
                quantity=quantity,
                price=Decimal(price),
            )


def _research(trader, sbin):
    """Two finished backtests, a finished sweep and a strategy run, run here rather than by a worker."""
    from strategies.models import StrategyRun
    from strategies.services import backtest_create, backtest_run, sweep_create, sweep_run_chunk
    from tests.strategies.factories import candles_create

    candles_create(sbin, count=300)
    inputs = {
        "strategy": "sma_crossover",
        "symbols": ["NSE:SBIN-EQ"],
        "interval": "1d",
        "start": "2023-01-02",
        "end": "2023-12-31",
        "initial_cash": "1000000",
        "costs": {"model": "india", "product": "CNC"},
        "sizing": {"mode": "percent_equity", "value": 100},
    }
    backtests = []
    for fast in (5, 10):
        backtest = backtest_create(user=trader, label=f"fast {fast}", params={"fast": fast, "slow": 20}, **inputs)
        backtest_run(backtest_id=backtest.id)
        backtests.append(backtest)
    sweep = sweep_create(user=trader, grid={"fast": [5, 10, 15], "slow": [20, 30]}, params={}, **inputs)
    sweep_run_chunk(sweep_id=sweep.id, first=0, last=sweep.total - 1)
    run = StrategyRun.objects.create(
        user=trader,
        strategy="sma_crossover",
        params={"fast": 5, "slow": 20},
        symbols=["NSE:SBIN-EQ"],
        interval="1m",
        account_mode="paper",
        status="RUNNING",
        logs=["started"],
    )
    return backtests, sweep, run


@pytest.fixture
def world(trader) -> World:
    from accounts.services.api_keys import api_key_create

    sbin = instrument_get_by_key(exchange="NSE", symbol="SBIN-EQ")
    resting, _ = order_place(
        user=trader, instrument=sbin, params=params(quantity=5, order_type="LIMIT", price="500", product="CNC")
    )
    _positions(trader, sbin)
    backtests, sweep, run = _research(trader, sbin)
    key, _ = api_key_create(user=trader, name="my script", scopes=["read", "trade"])  # its scopes are a list
    executed = _executed_order(trader, sbin)
    _order_in(trader, sbin, OrderStatus.CANCEL_PENDING)  # the longest status name, which must not break
    return World(resting=resting, executed=executed, backtests=backtests, sweep=sweep, run=run, api_key=key)


# --- The pages, from the URLconf -----------------------------------------------------------------

# Path parameter -> the values to open its pages with (several values: the page is opened with each).
FILLERS = {
    "order_id": lambda w: [w.resting.id, w.executed.id],
    "instrument_id": lambda w: [w.resting.instrument_id],
    "exchange": lambda w: ["NSE", "NFO"],
    "symbol": lambda w: ["SBIN-EQ", OPTION],
    "backtest_id": lambda w: [w.backtests[0].id],
    "sweep_id": lambda w: [w.sweep.id],
    "run_id": lambda w: [w.run.id],
    "key_id": lambda w: [w.api_key.id],
    "account_id": lambda w: [w.resting.account_id],  # the trader's default (paper) account: its reset page
}
# A page that shows something only with a query: what it is given.
QUERIES = {"strategies:compare": lambda w: "?ids=" + ",".join(str(b.id) for b in w.backtests)}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or ''}", prefix + str(entry.pattern)


def dashboard_patterns() -> list[tuple[str, str]]:
    """(url name, path template with {name} for each parameter) of the URLconf less what is not the dashboard."""
    found = []
    for name, raw in _walk(get_resolver().url_patterns):
        if raw.startswith(NOT_DASHBOARD):
            continue
        found.append((name, "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", raw)))
    return found


def fill(name: str, template: str, world) -> list[str]:
    """The URLs to open for one pattern: each parameter filled, the page's query added."""
    names = re.findall(r"{(\w+)}", template)
    unknown = [n for n in names if n not in FILLERS]
    assert not unknown, f"{template}: add the path parameter(s) {unknown} to FILLERS (which object's page?)"
    values = [FILLERS[n](world) for n in names]
    urls = []
    for combination in zip(*values, strict=True) if names else [()]:
        url = template
        for n, value in zip(names, combination, strict=True):
            url = url.replace("{" + n + "}", str(value))
        urls.append(url + (QUERIES[name](world) if name in QUERIES else ""))
    return urls


def main_actions(name: str, phone: bool) -> tuple[str, ...]:
    """The test ids of a page's main actions, which must be on screen when it opens."""
    chart = ("action-buy", "action-sell") if phone else ("ticket-side-SELL", "ticket-submit")
    return {
        "dashboard": ("watch-buy", "watch-sell"),
        "orders:orders": ("action-new-order" if phone else "ticket-symbol",),
        "orders:order-detail": (),
        "orders:positions": ("position-buy", "position-sell", "position-exit", "position-close"),
        "orders:holdings": ("holding-buy", "holding-sell", "holding-exit"),
        "orders:funds": ("funds-amount", "funds-submit"),
        "marketdata:instrument": chart,
        "strategies:home": ("run-form",),
        "strategies:backtests": ("backtest-form",),
        "accounts:api-keys": ("api-key-form",),
        "notifications:preferences": ("notifications-form",),
        "accounts:security": ("tab-security", "security-event"),
        "orders:trading-accounts": ("trading-account", "trading-account-open-form"),
        "orders:trading-account-reset": ("trading-account-reset-submit",),
    }.get(name, ())


# --- The checks ----------------------------------------------------------------------------------


def is_page(client, url: str) -> bool:
    """A whole HTML page, as a GET answers it; not an action (405), an htmx fragment or JSON."""
    response = client.get(url)
    html = response.headers.get("Content-Type", "").startswith("text/html")
    return html and response.content.lstrip()[:15].lower() == b"<!doctype html>"


def axe_path() -> Path:
    """axe-core as npm installed it (package.json); AXE_CORE_PATH points elsewhere for a run before that."""
    path = Path(os.environ.get("AXE_CORE_PATH") or Path(settings.BASE_DIR) / "node_modules/axe-core/axe.min.js")
    assert path.is_file(), f"axe-core is not installed at {path}: run `make setup` (npm ci installs package.json)"
    return path


def contrast_problems(page) -> list[str]:
    """axe-core's color-contrast rule (WCAG 1.4.3: 4.5:1, 3:1 for large text) on the page as it is now."""
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: "rule", values: ["color-contrast"]},
                                                 resultTypes: ["violations"]});
        return result.violations.flatMap((v) => v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`));
    }""")
    return [" ".join(problem.split()) for problem in found]


def layout_problems(page, *, touch: bool) -> list[str]:
    options = {"width": page.viewport_size["width"], "touch": touch}
    options |= {"minTarget": MIN_TARGET_PX, "destructiveGap": DESTRUCTIVE_GAP_PX}
    return page.evaluate(CHECKS_JS, options)


def settle(page) -> None:
    """The page has loaded and its first htmx requests (notices, the external orders) have answered."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


@pytest.fixture
def checked_page(open_page):
    """open_page with axe-core loaded before each document's own scripts (the page's CSP stays in force)."""

    def make(viewport: dict, *, touch: bool = False):
        page = open_page(viewport, touch=touch)
        page.context.add_init_script(path=str(axe_path()))
        return page

    return make


def _search_open(page, phone: bool) -> None:
    page.get_by_test_id("instrument-search").fill("SBIN")
    expect(page.locator("#search-results li").first).to_be_visible()


def _ticket_open(page, phone: bool) -> None:
    if phone:  # the ticket waits behind the action bar and rises as a sheet
        page.get_by_test_id("action-buy").tap()
    expect(page.get_by_test_id("ticket-submit")).to_be_in_viewport()
    # "BUY SBIN-EQ", not "BUYSBIN-EQ": a button laid out as flex (to centre it in 44 px) drops the space.
    space = page.evaluate("""() => {
        const side = document.querySelector("[data-testid=ticket-submit] [data-side-label]");
        const text = side.nextSibling;  // " SBIN-EQ": its first letter
        const letter = document.createRange();
        letter.setStart(text, text.data.search(/\\S/));
        letter.setEnd(text, text.data.search(/\\S/) + 1);
        return letter.getBoundingClientRect().left - side.getBoundingClientRect().right;
    }""")
    assert space >= 2, f"the side and the instrument touch on the ticket's button ({space:.1f} px apart)"


# What a page opens on request, checked open too: (url name, how to open it).
OPENED = {"dashboard": _search_open, "marketdata:instrument": _ticket_open}


def check_page(page, *, phone: bool) -> list[str]:
    return layout_problems(page, touch=phone) + contrast_problems(page)


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desk", DESK)])
def test_every_page_fits_reaches_and_reads(checked_page, trader, password, feed, world, size, viewport):
    phone = size == "phone"
    page = checked_page(viewport, touch=phone)
    page.goto("/accounts/login/")
    problems = {"login": check_page(page, phone=phone)}
    screenshot(page, f"{size}-login")
    login(page, trader.username, password)
    client = Client()
    client.force_login(trader)
    opened = []
    for name, template in [*dashboard_patterns(), ("not-found", "/no/such/page/")]:
        for url in fill(name, template, world):
            if not is_page(client, url):
                continue  # checked within the page that uses it
            page.goto(url)
            opened.append(name)
            settle(page)
            expect(page.get_by_test_id("account-mode")).to_have_text("PAPER")
            for action in main_actions(name, phone):
                target = page.get_by_test_id(action).first
                expect(target).to_be_visible()
                expect(target).to_be_in_viewport()
            problems[url] = check_page(page, phone=phone)
            screenshot(page, f"{size}-{name.replace(':', '-')}-{len(opened)}")
            if name in OPENED:
                OPENED[name](page, phone)
                problems[f"{url} (opened)"] = check_page(page, phone=phone)
                screenshot(page, f"{size}-{name.replace(':', '-')}-{len(opened)}-opened")
    # The walk saw the pages (the control: a walk that opened nothing would pass).
    walked = {"dashboard", "orders:risk", "strategies:compare", "strategies:sweep", "orders:trading-accounts"}
    assert walked | {"orders:trading-account-reset", "not-found"} <= set(opened)
    report = {url: found for url, found in problems.items() if found}
    out = Path(settings.VAR_DIR) / "artifacts" / f"layout-{size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"pages": opened, "problems": report}, indent=2, ensure_ascii=False))
    assert not report, f"{sum(map(len, report.values()))} problems at {size}:\n" + "\n".join(
        f"{url}: {p}" for url, found in report.items() for p in found
    )


def test_a_page_parameter_without_a_filler_fails_the_walk():
    with pytest.raises(AssertionError, match="add the path parameter"):
        fill("widgets:widget", "/widgets/{widget_id}/", world=None)


def test_the_walk_reaches_every_dashboard_page_and_nothing_else():
    names = {name for name, _ in dashboard_patterns()}
    assert {"dashboard", "orders:risk", "strategies:compare", "marketdata:instrument", "accounts:security"} <= names
    assert not {name for name in names if name in ("api-schema", "api-docs", "metrics", "admin-health")}


def test_the_checks_see_a_small_target_a_broken_word_and_a_hidden_value(checked_page, live_server):
    """The control for the checks themselves: a page made to fail each of them fails each of them."""
    page = checked_page(PHONE, touch=True)
    page.goto("/accounts/login/")
    page.evaluate("""() => {
        const box = document.createElement("div");
        box.innerHTML = '<button class="btn-small" id="tiny">x</button>'
            + '<button class="btn-danger" id="near">Cancel</button>'
            + '<span id="narrow">CANCEL_PENDING</span><span class="badge" id="badge">Cancel pending</span>'
            + '<div id="scroller"><table><tr><td>₹1,00,00,000.00</td><td>₹2,00,00,000.00</td>'
            + '<td>₹3,00,00,000.00</td><td>₹4,00,00,000.00</td></tr></table></div>';
        document.body.prepend(box);
        for (const [id, prop, value] of [["tiny", "width", "20px"], ["near", "margin-left", "2px"],
            ["narrow", "display", "inline-block"], ["narrow", "width", "40px"], ["narrow", "overflow-wrap", "anywhere"],
            ["badge", "white-space", "normal"], ["badge", "width", "60px"],
            ["scroller", "overflow-x", "auto"], ["scroller", "width", "300px"]]) {
            document.getElementById(id).style.setProperty(prop, value);
        }
        document.querySelector("#scroller td").parentElement.style.setProperty("white-space", "nowrap");
    }""")
    text = "\n".join(layout_problems(page, touch=True))
    assert re.search(r'<button.btn-small> "x" is \d+x\d+px, under 44x44', text), text
    assert re.search(r'<button.btn-danger> "Cancel" is 2px from <button.btn-small> "x", under 8', text), text
    assert '"CANCEL_PENDING" in <span> "CANCEL_PENDING" breaks across' in text, text
    assert '<span.badge> "Cancel pending" takes 2 lines' in text, text
    assert '"₹4,00,00,000.00" in <td> "₹4,00,00,000.00" is outside the screen' in text, text


def test_the_contrast_check_sees_white_on_a_light_blue(checked_page, live_server):
    page = checked_page(DESK)
    page.goto("/accounts/login/")
    page.evaluate("""() => {
        const b = document.createElement("p");
        b.textContent = "Place order";
        b.id = "pale";
        document.body.prepend(b);
        b.style.setProperty("background", "#4f8cff");
        b.style.setProperty("color", "#fff");
    }""")
    assert any("#pale" in problem and "contrast" in problem for problem in contrast_problems(page))


def test_the_top_bar_says_paper_which_feed_and_that_the_simulated_market_is_open(page, trader, password, feed):
    login(page, trader.username, password)
    bar = page.get_by_test_id("topbar")
    expect(bar.get_by_test_id("account-mode")).to_have_text("PAPER")
    expect(bar.get_by_test_id("account-mode")).to_have_css("background-color", "rgb(227, 179, 65)")
    feed_chip = bar.get_by_test_id("feed-status")
    expect(feed_chip).to_have_attribute("data-source", "simulated")
    expect(feed_chip).to_have_attribute("data-state", "live")
    expect(feed_chip.get_by_test_id("feed-source")).to_have_text("Simulated")
    expect(feed_chip.get_by_test_id("feed-freshness")).to_have_text(re.compile(r"last tick \d+(\.\d)? s ago"))
    expect(bar.get_by_test_id("market-status")).to_have_text("Simulated market: always open")
    # Every page has it, and it stays current on its own (the strip refreshes itself).
    page.get_by_test_id("nav-positions").click()
    expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")


def test_an_account_that_keeps_market_hours_sees_nse_and_nfo_sessions(page, trader, password):
    from accounts.models import TradingAccount
    from core import clock
    from marketdata.market_hours import session_state

    TradingAccount.objects.filter(user=trader).update(always_open=False)
    login(page, trader.username, password)
    now = clock.now()
    for exchange in ("NSE", "NFO"):
        chip = page.get_by_test_id(f"market-{exchange}")
        expect(chip).to_have_attribute("data-state", session_state(exchange, now))
        expect(chip).to_contain_text(exchange)
    expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "off")  # no feed in this test
    expect(page.get_by_test_id("feed-source")).to_have_text("No feed")
