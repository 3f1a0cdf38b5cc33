"""The Content Security Policy in the browser: the watch in conftest sees a refused inline script, and a
script payload a trader put in an order's tag is shown as text on the orders pages and never runs."""

import pytest
from playwright.sync_api import expect

from orders import services
from tests.e2e.conftest import login
from tests.orders.conftest import params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Tags hold at most 20 characters: payloads that fit, an attribute break-out among them.
PAYLOADS = ["<svg onload=__x=1>", '"><svg onload=__x=2>', "<b id=xss>bold</b>"]


def test_the_policy_refuses_an_inline_script_and_the_watch_reports_it(page, user, password, csp_violations):
    login(page, user.username, password)
    response = page.goto("/accounts/security/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.__ran = true";
        document.body.append(s);
    }""")
    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("() => window.__ran === undefined")
    assert any("Content Security Policy" in text for text in csp_violations)
    csp_violations.clear()  # seen and expected here; any other test fails on one


def test_a_script_payload_in_an_order_tag_is_text_and_never_runs(page, trader, market, password):
    orders = [
        services.order_place(
            user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="700.00"), tag=tag
        )[0]
        for tag in PAYLOADS
    ]
    login(page, trader.username, password)
    page.goto("/trading/orders/")
    for tag in PAYLOADS:
        expect(page.get_by_text(tag, exact=True)).to_be_visible()
    page.goto(f"/trading/orders/{orders[1].id}/")
    expect(page.get_by_text(PAYLOADS[1], exact=True)).to_be_visible()
    assert page.evaluate("() => window.__x === undefined")
    assert page.locator("svg[onload], #xss").count() == 0


def test_the_api_docs_render_under_the_policy(page):
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Trading platform API")
