import pytest

from marketdata.services import WATCHLIST_MAX
from tests.marketdata.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


def test_a_full_watchlist_shows_the_reason_in_place(client, user, password):
    client.login(username=user.username, password=password)
    instruments = [InstrumentFactory() for _ in range(WATCHLIST_MAX + 1)]
    for instrument in instruments[:-1]:
        client.post("/market/watchlist/add/", {"instrument_id": instrument.id}, HTTP_HX_REQUEST="true")
    response = client.post("/market/watchlist/add/", {"instrument_id": instruments[-1].id}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422  # swapped by htmx, like every re-rendered form with an error
    assert f"already holds {WATCHLIST_MAX} instruments" in response.content.decode()


def test_garbage_instead_of_an_instrument_id_is_a_422_partial_not_a_500(client, user, password):
    client.login(username=user.username, password=password)
    response = client.post("/market/watchlist/add/", {"instrument_id": "abc"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and b"Choose an instrument" in response.content


def test_someone_elses_watchlist_is_not_touched_by_remove(client, user, password):
    from marketdata.services import watchlist_add
    from tests.accounts.factories import UserFactory

    other = UserFactory()
    instrument = InstrumentFactory()
    watchlist_add(user=other, instrument=instrument)
    client.login(username=user.username, password=password)
    client.post(f"/market/watchlist/{instrument.id}/remove/", HTTP_HX_REQUEST="true")
    assert other.watchlist_items.count() == 1
