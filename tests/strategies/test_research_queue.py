"""Research work (backtests, sweeps) runs on its own Celery queue and is capped per user.

One trader once queued 48 backtests at once on the queue that also carries broker calls: orders waited
behind them. Now research has its own queue and worker process, and each user may have at most
RESEARCH_MAX_QUEUED_PER_USER backtests and sweeps queued or running; the next is refused with a reason.
"""

import re
from pathlib import Path

import pytest

from strategies.models import Backtest, RunStatus, Sweep
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.processes import WORKER_QUEUES
from tests.strategies.factories import BACKTEST_BODY, BACKTEST_FORM, instrument_with_candles
from trading.celery import app

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
BODY = BACKTEST_BODY
FORM = BACKTEST_FORM
SWEEP = {**{k: v for k, v in BODY.items() if k != "params"}, "grid": {"fast": [3, 5], "slow": [21]}}
RESEARCH_TASKS = (
    "strategies.tasks.backtest_run",
    "strategies.tasks.sweep_run_chunk",
    "strategies.tasks.walkforward_run_window",
)


@pytest.fixture(autouse=True)
def sbin(db, settings):
    settings.RESEARCH_MAX_QUEUED_PER_USER = 3
    return instrument_with_candles("SBIN-EQ", count=400)


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def procfile_queues(path: Path) -> dict[str, set[str]]:
    """Each Celery worker process of a Procfile and the queues it consumes (-Q)."""
    found = {}
    for line in path.read_text().splitlines():
        name, _, command = line.partition(":")
        if "celery" in command and " worker" in command:
            found[name.strip()] = set(re.search(r"-Q (\S+)", command).group(1).split(","))
    return found


def test_research_tasks_go_to_their_own_queue_not_the_one_with_broker_calls():
    assert {queue_of(name) for name in RESEARCH_TASKS} == {"research"}
    assert queue_of("orders.tasks.broker_place_order") == "broker"


@pytest.mark.parametrize("procfile", ["Procfile", "Procfile.live"])
def test_a_worker_process_of_its_own_consumes_the_research_queue(procfile):
    workers = procfile_queues(ROOT / procfile)
    assert workers["worker"] == {"default", "broker"}  # broker calls never wait behind a backtest
    assert workers["research"] == {"research"}
    assert "research" in WORKER_QUEUES  # the tests' workers take research work too


def test_a_user_may_queue_only_so_many_backtests_and_sweeps_at_once(auth_client):
    assert auth_client.post("/api/v1/backtests/", BODY, format="json").status_code == 202
    assert auth_client.post("/api/v1/sweeps/", SWEEP, format="json").status_code == 202
    assert auth_client.post("/api/v1/backtests/", BODY, format="json").status_code == 202

    for url, body in (("/api/v1/backtests/", BODY), ("/api/v1/sweeps/", SWEEP)):
        refused = auth_client.post(url, body, format="json")
        assert refused.status_code == 422
        error = refused.json()["error"]
        assert error["code"] == "research_queue_full" and "3 backtests and sweeps" in error["message"]
    assert Backtest.objects.count() == 2 and Sweep.objects.count() == 1  # nothing stored for the refused


def test_the_cap_is_per_user_and_frees_up_as_work_finishes(auth_client, user):
    for _ in range(3):
        assert auth_client.post("/api/v1/backtests/", BODY, format="json").status_code == 202
    other = jwt_client(UserFactory())
    assert other.post("/api/v1/backtests/", BODY, format="json").status_code == 202
    assert auth_client.post("/api/v1/backtests/", BODY, format="json").status_code == 422
    first = Backtest.objects.filter(user=user).order_by("id").first()
    Backtest.objects.filter(id=first.id).update(status=RunStatus.DONE)  # as a worker finishes it
    assert auth_client.post("/api/v1/backtests/", BODY, format="json").status_code == 202


def test_the_backtest_page_shows_the_reason(client, auth_client, user, password):
    for _ in range(3):
        assert auth_client.post("/api/v1/backtests/", BODY, format="json").status_code == 202
    client.login(username=user.username, password=password)
    response = client.post("/strategies/backtests/", FORM)
    assert response.status_code == 422
    assert "3 backtests and sweeps" in response.content.decode()
    assert Backtest.objects.count() == 3
