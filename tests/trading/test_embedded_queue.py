"""The embedded broker never shows a consumer a half-written message.

kombu's stock filesystem transport fails this test every time (the consumer
reads a file its producer has created but not yet written: JSONDecodeError).
"""

import multiprocessing
import os

from django.conf import settings
from kombu import Connection, Queue

from core.queue_transport import Transport

PAD = "x" * 2_000_000  # a write this large leaves a wide window between create and content


def _produce(folder: str, count: int) -> None:
    with Connection("atomicfs://", transport_options={"data_folder_in": folder, "data_folder_out": folder}) as conn:
        producer = conn.Producer()
        for n in range(count):
            producer.publish({"n": n, "pad": PAD}, routing_key="race", declare=[Queue("race")])


def test_the_embedded_broker_is_the_atomic_transport():
    if settings.REDIS_URL:
        return  # with Redis configured, the broker is Redis
    with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
        assert isinstance(conn.transport, Transport)


def test_a_consumer_racing_producer_processes_only_reads_whole_messages(tmp_path):
    folder, per_producer, producers = str(tmp_path), 30, 2
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_produce, args=(folder, per_producer)) for _ in range(producers)]
    for process in processes:
        process.start()
    received = 0
    options = {"data_folder_in": folder, "data_folder_out": folder, "polling_interval": 0}
    with Connection("atomicfs://", transport_options=options) as conn:
        queue = conn.SimpleQueue(Queue("race"))
        while received < per_producer * producers:
            message = queue.get(timeout=30)  # a half-written file raises a JSON error here
            assert message.payload["pad"] == PAD
            message.ack()
            received += 1
        queue.close()
    for process in processes:
        process.join(timeout=30)
    assert received == per_producer * producers
    assert not [name for name in os.listdir(folder) if name.endswith(".msg")]
