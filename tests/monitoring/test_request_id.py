"""X-Request-ID: taken or made per request, sent back, in every log line, carried into Celery tasks."""

import io
import json
import logging
import re

import pytest
from celery.signals import before_task_publish
from django.http import HttpResponse
from django.test import RequestFactory

from monitoring.logging import JsonFormatter, RequestIdFilter
from monitoring.tasks import ping
from monitoring.tracing import RequestIdMiddleware, current_request_id, set_request_id

pytestmark = pytest.mark.django_db
HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(autouse=True)
def _no_request_id():
    set_request_id(None)
    yield
    set_request_id(None)


def test_a_well_formed_incoming_id_is_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="lb-7f3a.2_x")
    assert response["X-Request-ID"] == "lb-7f3a.2_x"


def test_an_id_is_generated_when_none_is_sent(client):
    first, second = client.get("/health/live")["X-Request-ID"], client.get("/health/live")["X-Request-ID"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "<script>", "id;drop", "ünïcode", ""])
def test_a_malformed_incoming_id_is_replaced(client, bad):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=bad)
    assert HEX_ID.fullmatch(response["X-Request-ID"])


def test_error_responses_carry_the_id_too(client):
    response = client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404 and response["X-Request-ID"] == "req-404"


@pytest.fixture
def console_output():
    """The console handler configured by settings.LOGGING, writing into a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdFilter) for f in h.filters))
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_the_id_is_in_the_log_lines_a_request_causes(client, console_output):
    # DRF answers 401 itself; Django logs "Unauthorized: ..." after every middleware has returned.
    response = client.get("/api/v1/orders/", HTTP_X_REQUEST_ID="trace-log-1")

    assert response.status_code == 401
    lines = [line for line in console_output.getvalue().splitlines() if "/api/v1/orders/" in line]
    assert lines and all("[trace-log-1]" in line for line in lines), console_output.getvalue()


def test_log_lines_outside_a_request_say_so(console_output):
    logging.getLogger("tests.monitoring").warning("no request here")
    assert "[-]: no request here" in console_output.getvalue()


def test_the_json_format_is_one_object_per_line_with_the_id():
    set_request_id("json-1")
    record = logging.LogRecord("orders", logging.WARNING, __file__, 1, "placed %s", ("T1",), None)
    RequestIdFilter().filter(record)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["request_id"] == "json-1"
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "orders", "placed T1")
    assert entry["time"].endswith("+00:00")


def test_a_task_published_during_a_request_carries_the_id():
    published: list[dict] = []

    def capture(headers=None, **kwargs):
        published.append(dict(headers))

    def view(request):
        ping.apply_async(args=["from-a-request"], queue="default")
        return HttpResponse("queued")

    before_task_publish.connect(capture, weak=False)
    try:
        request = RequestFactory().get("/", HTTP_X_REQUEST_ID="req-task-1")
        response = RequestIdMiddleware(view)(request)
    finally:
        before_task_publish.disconnect(capture)

    assert response["X-Request-ID"] == "req-task-1"
    assert [h["task"] for h in published] == ["monitoring.ping"]
    assert published[0]["request_id"] == "req-task-1"


def test_a_task_published_outside_a_request_has_no_id():
    published: list[dict] = []

    def capture(headers=None, **kwargs):
        published.append(dict(headers))

    before_task_publish.connect(capture, weak=False)
    try:
        ping.apply_async(args=["no-request"], queue="default")
    finally:
        before_task_publish.disconnect(capture)

    assert "request_id" not in published[0]


@pytest.mark.worker
def test_a_real_worker_runs_the_task_under_the_id_of_the_request_that_queued_it(celery_worker):
    set_request_id("req-worker-9")
    result = ping.apply_async(args=["traced"], queue="default").get(timeout=30)
    set_request_id(None)

    assert result["request_id"] == "req-worker-9"
    # The next task without an id does not inherit the previous one in the worker.
    assert ping.apply_async(args=["untraced"], queue="default").get(timeout=30)["request_id"] == ""
    assert current_request_id() is None
