"""The API keys page in the browser on a phone: make a key, copy it, use it, revoke it."""

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import ApiKey
from tests.e2e.conftest import DESK, PHONE, login, page_width, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desk", DESK)])
def test_a_key_is_made_shown_once_copied_and_revoked(open_page, user, password, size, viewport):
    phone = size == "phone"
    page = open_page(viewport, touch=phone)
    login(page, user.username, password)
    if phone:
        page.get_by_test_id("menu-toggle").tap()
    page.get_by_test_id("nav-account").click()
    page.get_by_test_id("tab-api-keys").click()
    page.get_by_label("Name", exact=True).fill("phone-bot")
    page.get_by_label("Trade", exact=True).check()
    page.get_by_label("Allowed addresses").fill("127.0.0.1")
    page.get_by_test_id("api-key-create").click()

    value = page.get_by_test_id("api-key-value")
    expect(value).to_be_visible()
    raw_key = value.input_value()
    assert raw_key.startswith("tpk_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_test_id("api-key-copy").click()
    expect(page.get_by_test_id("api-key-copy")).to_have_text("Copied")
    assert page_width(page) == (viewport["width"], viewport["width"]), f"the keys page scrolls sideways at {size}"
    screenshot(page, f"{size}-api-keys")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get("/api/v1/me/").status_code == 200

    key = ApiKey.objects.get(user=user, name="phone-bot")
    page.goto("/accounts/api-keys/")  # the page never shows the key again
    expect(page.get_by_test_id("api-key-value")).to_have_count(0)
    page.get_by_test_id(f"api-key-revoke-{key.id}").click()  # the confirmation is accepted by the fixture
    expect(page.get_by_test_id(f"api-key-{key.id}")).to_have_attribute("data-status", "revoked")
    assert client.get("/api/v1/me/").json()["error"]["code"] == "api_key_revoked"
