import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_trader_logs_in_sees_the_dashboard_and_logs_out(page, user, password):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))  # anonymous visitors go to the login page
    login(page, user.username, password)
    expect(page.get_by_test_id("dashboard-title")).to_have_text("Dashboard")
    expect(page.get_by_test_id("current-user")).to_have_text(user.username)
    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page, user):
    login(page, user.username, "definitely-wrong")
    expect(page.get_by_test_id("login-error")).to_contain_text("Wrong username or password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
