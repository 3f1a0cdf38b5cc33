"""Managing trading accounts: renaming one, making one the default (exactly one at all times), opening a paper
account with its own starting capital, resetting a paper one; the API's PATCH and the dashboard's Accounts page."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from accounts.services import api_key_create, trading_account_make_default, trading_account_rename
from core.errors import NotFound, RuleViolation
from orders.models import Funds, LedgerEntry, Order, OrderStatus
from orders.services import account_open, order_place, paper_account_open, paper_account_reset
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client, requires_postgres
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db

ACCOUNTS_URL = "/api/v1/accounts/"
PAGE = "/trading/accounts/"


def _url(account) -> str:
    return f"{ACCOUNTS_URL}{account.id}/"


def _code(response) -> str:
    return response.json()["error"]["code"]


def _defaults(user) -> list[str]:
    return list(TradingAccount.objects.filter(user=user, is_default=True).values_list("name", flat=True))


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Services ------------------------------------------------------------------------------------


def test_making_an_account_the_default_leaves_exactly_one_default(trader):
    second = paper_account_open(user=trader, name="Second")
    third = paper_account_open(user=trader, name="Third")
    first = default_account_for(trader)
    for account, expected in ((second, "Second"), (third, "Third"), (third, "Third"), (first, "Paper")):
        trading_account_make_default(user=trader, account=account)
        assert _defaults(trader) == [expected]
        assert default_account_for(trader).name == expected  # the cache was cleared


def test_the_database_refuses_a_second_default(trader):
    second = paper_account_open(user=trader, name="Second")
    with pytest.raises(IntegrityError), transaction.atomic():
        TradingAccount.objects.filter(pk=second.pk).update(is_default=True)
    assert _defaults(trader) == ["Paper"]


def test_someone_elses_account_cannot_be_made_default_or_renamed(trader):
    theirs = account_open(user=UserFactory())
    with pytest.raises(NotFound):
        trading_account_make_default(user=trader, account=theirs)
    with pytest.raises(NotFound):
        trading_account_rename(user=trader, account=theirs, name="Mine now")
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_default) == ("Paper", True)


def test_a_rename_tidies_the_name_and_refuses_a_taken_or_empty_one(trader):
    second = paper_account_open(user=trader, name="Second")
    assert trading_account_rename(user=trader, account=second, name="  Family   paper ").name == "Family paper"
    with pytest.raises(RuleViolation) as taken:
        trading_account_rename(user=trader, account=second, name="Paper")
    assert taken.value.code == "account_name_taken"
    with pytest.raises(Exception) as empty:
        trading_account_rename(user=trader, account=second, name="   ")
    assert empty.value.code == "invalid_name"
    second.refresh_from_db()
    assert second.name == "Family paper"


def test_a_paper_account_opened_with_its_own_capital_is_reset_to_it(trader, market):
    small = paper_account_open(user=trader, name="Small", starting_capital=Decimal("25000"))
    TradingAccount.objects.filter(pk=small.pk).update(always_open=True)
    small.always_open = True
    assert Funds.objects.get(account=small).cash == Decimal("25000")
    order_place(
        user=trader,
        account=small,
        instrument=market["SBIN-EQ"],
        params=params(order_type="LIMIT", price="700", quantity=1),
    )
    entry = paper_account_reset(user=trader, account=small)
    assert entry.balance_after == Decimal("25000")
    assert not Order.objects.filter(account=small).exclude(status=OrderStatus.CANCELLED).exists()


@pytest.mark.parametrize(
    ("amount", "code"), [("0", "invalid_amount"), ("1000000000", "amount_too_large"), ("1.001", "invalid_amount")]
)
def test_a_bad_starting_capital_opens_no_account(trader, amount, code):
    with pytest.raises(Exception) as refused:
        paper_account_open(user=trader, name="Odd", starting_capital=Decimal(amount))
    assert (refused.value.code, refused.value.fields.get("starting_capital") is not None) == (code, True)
    assert not TradingAccount.objects.filter(user=trader, name="Odd").exists()


def test_a_live_account_cannot_be_reset(trader):
    account = default_account_for(trader)
    TradingAccount.objects.filter(pk=account.pk).update(mode="live", broker="angelone")
    cash = Funds.objects.get(account=account).cash
    with pytest.raises(RuleViolation) as refused:
        paper_account_reset(user=trader, account=account)
    assert refused.value.code == "live_account_reset"
    assert Funds.objects.get(account=account).cash == cash


# --- API: PATCH /api/v1/accounts/<id>/ and the starting capital ---------------------------------


def test_patch_renames_and_makes_the_default(trader):
    second = paper_account_open(user=trader, name="Second")
    response = jwt_client(trader).patch(_url(second), {"name": "Family", "is_default": True}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["name"], body["is_default"]) == (second.id, "Family", True)
    assert _defaults(trader) == ["Family"]
    listed = jwt_client(trader).get(ACCOUNTS_URL).json()
    assert [(a["name"], a["is_default"]) for a in listed] == [("Family", True), ("Paper", False)]


def test_patch_on_another_users_account_is_a_404(trader):
    theirs = account_open(user=UserFactory())
    response = jwt_client(trader).patch(_url(theirs), {"name": "Mine"}, format="json")
    assert (response.status_code, _code(response)) == (404, "account_not_found")
    response = jwt_client(trader).patch(f"{ACCOUNTS_URL}999999/", {"is_default": True}, format="json")
    assert (response.status_code, _code(response)) == (404, "account_not_found")
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_default) == ("Paper", True)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "no_changes"),
        ({"name": ""}, 400, "invalid_name"),
        ({"name": "x" * 41}, 400, "invalid_name"),
        ({"name": "   "}, 400, "invalid_name"),
        ({"name": "Second"}, 422, "account_name_taken"),
        ({"is_default": "maybe"}, 400, "invalid_is_default"),
        ({"is_default": False}, 422, "default_required"),
        ({"colour": "red"}, 400, "unknown_field"),
    ],
)
def test_patch_refuses_bad_input_with_a_stable_code(trader, body, status, code):
    paper_account_open(user=trader, name="Second")
    default = default_account_for(trader)
    response = jwt_client(trader).patch(_url(default), body, format="json")
    assert (response.status_code, _code(response)) == (status, code), response.json()
    assert _defaults(trader) == ["Paper"]


def test_patch_is_default_false_on_another_account_changes_nothing(trader):
    second = paper_account_open(user=trader, name="Second")
    response = jwt_client(trader).patch(_url(second), {"is_default": False}, format="json")
    assert (response.status_code, response.json()["is_default"]) == (200, False)
    assert _defaults(trader) == ["Paper"]


def test_an_api_key_may_not_rename_or_change_the_default(trader):
    second = paper_account_open(user=trader, name="Second")
    _, raw = api_key_create(user=trader, name="bot", scopes=["read", "trade", "account"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.patch(_url(second), {"is_default": True}, format="json")
    assert (response.status_code, _code(response)) == (403, "api_key_not_allowed")
    assert _defaults(trader) == ["Paper"]


def test_post_opens_a_paper_account_with_its_starting_capital(trader):
    body = {"mode": "paper", "name": "Small", "starting_capital": "50000.50"}
    response = jwt_client(trader).post(ACCOUNTS_URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert Funds.objects.get(account_id=response.json()["id"]).cash == Decimal("50000.50")
    bad = jwt_client(trader).post(ACCOUNTS_URL, {**body, "name": "Odd", "starting_capital": "-5"}, format="json")
    assert (bad.status_code, _code(bad)) == (400, "invalid_amount")
    huge = jwt_client(trader).post(ACCOUNTS_URL, {**body, "name": "Odd", "starting_capital": "1e30"}, format="json")
    assert huge.status_code == 400 and _code(huge) in ("invalid_amount", "amount_too_large")


def test_the_schema_documents_the_patch():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/accounts/{account_id}/"]["patch"]
    assert operation["operationId"] == "accounts_update"
    assert {"400", "404", "422"} <= set(operation["responses"])
    assert "default_required" in operation["description"]


# --- The dashboard's Accounts page ---------------------------------------------------------------


def test_the_page_lists_the_accounts_with_badge_broker_default_and_cash(trader):
    second = paper_account_open(user=trader, name="Second")
    live = default_account_for(trader)
    TradingAccount.objects.filter(pk=live.pk).update(mode="live", broker="angelone")
    html = _web(trader).get(PAGE).content.decode()
    assert "Second" in html and "PAPER" in html and "LIVE" in html and "Angel One" in html
    assert "yes: the API&#x27;s default" in html or "yes: the API's default" in html
    assert f"/trading/accounts/{second.id}/reset/" in html
    assert f"/trading/accounts/{live.id}/reset/" not in html  # no reset for a live account
    assert "₹" in html


def test_the_page_opens_an_account_and_says_so(trader):
    web = _web(trader)
    response = web.post(f"{PAGE}open/", {"name": "Family", "starting_capital": "2,00,000"}, follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    account = TradingAccount.objects.get(user=trader, name="Family")
    assert Funds.objects.get(account=account).cash == Decimal("200000")
    assert "Opened the paper account Family with ₹2,00,000.00" in response.content.decode()


def test_the_page_shows_a_taken_name_beside_the_field(trader):
    response = _web(trader).post(f"{PAGE}open/", {"name": "Paper", "starting_capital": ""})
    assert response.status_code == 422
    assert (
        'class="field-error"' in response.content.decode()
        and "already have an account named" in response.content.decode()
    )
    capital = _web(trader).post(f"{PAGE}open/", {"name": "X", "starting_capital": "0"})
    assert capital.status_code == 422 and "positive amount" in capital.content.decode()


def test_the_page_renames_and_makes_the_default(trader):
    second = paper_account_open(user=trader, name="Second")
    web = _web(trader)
    renamed = web.post(f"{PAGE}{second.id}/rename/", {"name": "Family"}, follow=True)
    assert "Renamed Second to Family." in renamed.content.decode()
    taken = web.post(f"{PAGE}{second.id}/rename/", {"name": "Paper"})
    assert taken.status_code == 422 and "already have an account named" in taken.content.decode()
    made = web.post(f"{PAGE}{second.id}/default/", follow=True)
    assert "Family is now your default account" in made.content.decode()
    assert _defaults(trader) == ["Family"]


def test_the_page_answers_404_for_another_users_account(trader):
    theirs = account_open(user=UserFactory())
    web = _web(trader)
    for path in ("rename/", "default/", "reset/"):
        assert web.post(f"{PAGE}{theirs.id}/{path}", {"name": "Mine"}).status_code == 404
    assert web.get(f"{PAGE}{theirs.id}/reset/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_default) == ("Paper", True)


def test_the_page_needs_a_login_and_a_post(trader):
    assert Client().get(PAGE).status_code == 302
    assert _web(trader).get(f"{PAGE}open/").status_code == 405
    second = paper_account_open(user=trader, name="Second")
    assert _web(trader).get(f"{PAGE}{second.id}/default/").status_code == 405


def test_a_reset_is_confirmed_first_and_says_what_it_does(trader, market):
    second = paper_account_open(user=trader, name="Second")
    web = _web(trader)
    confirm = web.get(f"{PAGE}{second.id}/reset/").content.decode()
    assert "cancels its working orders" in confirm and "clears its positions" in confirm
    assert "brings its cash back to" in confirm and "trading-account-reset-submit" in confirm
    opening = Funds.objects.get(account=second).cash
    assert opening == settings.PAPER_STARTING_FUNDS
    LedgerEntry.objects.create(account=second, kind=LedgerEntry.Kind.ADJUSTMENT, amount=0, balance_after=opening)
    Funds.objects.filter(account=second).update(cash=opening - 1000)  # spent some (what a reset undoes)
    done = web.post(f"{PAGE}{second.id}/reset/", follow=True)
    assert done.redirect_chain[-1][0] == PAGE and "Reset Second: its cash is" in done.content.decode()
    assert Funds.objects.get(account=second).cash == opening


def test_a_live_account_has_no_reset_button_and_the_post_is_refused(trader):
    account = default_account_for(trader)
    TradingAccount.objects.filter(pk=account.pk).update(mode="live", broker="angelone")
    web = _web(trader)
    page = web.get(f"{PAGE}{account.id}/reset/").content.decode()
    assert "A live account cannot be reset" in page and "trading-account-reset-submit" not in page
    cash = Funds.objects.get(account=account).cash
    refused = web.post(f"{PAGE}{account.id}/reset/")
    assert refused.status_code == 422 and "Only a paper account can be reset" in refused.content.decode()
    assert 'class="form-error"' in refused.content.decode()
    assert Funds.objects.get(account=account).cash == cash


# --- Concurrency (PostgreSQL): one default whichever choice lands last ----------------------------


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_concurrent_choices_of_the_default_leave_exactly_one():
    user = UserFactory()
    account_open(user=user)
    accounts = [default_account_for(user)] + [paper_account_open(user=user, name=f"P{n}") for n in range(5)]
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    failures: list[BaseException] = []

    def choose(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                trading_account_make_default(user=user, account=accounts[(n + i) % len(accounts)])
        except BaseException as exc:  # an IntegrityError here is the race the lock prevents
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=choose, args=(n,)) for n in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(_defaults(user)) == 1
