import pytest

from monitoring.tasks import ping


@pytest.mark.worker
def test_a_real_worker_process_runs_the_smoke_task(celery_worker):
    result = ping.apply_async(args=["round-trip"], queue="default").get(timeout=30)
    assert result["reply"] == "pong:round-trip"
    # It ran in the worker's process tree, not in ours.
    assert int(result["worker_pid"]) != __import__("os").getpid()
