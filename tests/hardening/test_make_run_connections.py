"""`make run` on PostgreSQL keeps its database connections bounded under a burst of requests.

The development server used to open a thread, and with it a database
connection kept for CONN_MAX_AGE, per request: a burst of orders exhausted
PostgreSQL's connection limit. The Procfile's web process now serves from a
bounded thread pool, as production does.
"""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from tests.conftest import requires_postgres
from tests.processes import WebServer

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres()]

CLIENTS = 40
REQUESTS = 400
THREADS_PER_WEB_PROCESS = 8


def database_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_burst_of_requests_keeps_the_connection_count_bounded(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    from orders.services import account_open

    account_open(user=user)
    token = str(RefreshToken.for_user(user).access_token)
    web = WebServer()
    web.start()
    try:
        before = database_connections()
        with httpx.Client(base_url=web.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            paths = ["/api/v1/orders/", "/api/v1/funds/", "/api/v1/positions/", "/api/v1/me/"] * (REQUESTS // 4)
            with ThreadPoolExecutor(CLIENTS) as pool:
                statuses = list(pool.map(lambda path: http.get(path).status_code, paths))
        after = database_connections()
    finally:
        web.stop()
    assert statuses.count(200) == REQUESTS, {s: statuses.count(s) for s in set(statuses)}
    assert after - before <= THREADS_PER_WEB_PROCESS, (before, after)
