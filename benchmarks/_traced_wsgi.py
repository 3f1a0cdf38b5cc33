"""The product's WSGI app with per-request accounting, for `benchmarks/orders.py --trace/--profile` only.

Requests are sorted into kinds (order_post, floor_insert, other) and each
kind accumulates statements, commits, Celery publishes and (with
BENCH_CPROFILE=1) a cProfile; see benchmarks/_tracing.py.
"""

from benchmarks._tracing import Recorder, install_atexit
from trading.wsgi import application as product_application

recorder = Recorder("web")
recorder.patch()
install_atexit(recorder)


def _kind(environ) -> str:
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "")
    if path == "/api/v1/orders/" and method == "POST":
        return "order_post"
    if path == "/bench/floor/insert/":
        return "floor_insert"
    return "other"


def application(environ, start_response):
    with recorder.unit(_kind(environ)):
        # The body is consumed inside the measured region: Django renders eagerly anyway.
        return list(product_application(environ, start_response))
