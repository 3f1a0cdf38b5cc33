import pytest


@pytest.fixture
def own_worker(exclusive_workers):
    """A real Celery worker for this test only; none is left running after it.

    The session's shared worker would stay alive for every later test and consume
    what they queue (some assume nothing does); it also steps aside meanwhile.
    """
    process = exclusive_workers()
    yield process
    process.kill()
