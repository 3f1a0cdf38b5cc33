"""A refresh token is single-use even when two clients race with it."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.accounts.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_rotate_it_once():
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt():
        try:
            barrier.wait()
            status = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json").status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [401] * 7
