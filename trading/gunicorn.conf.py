"""Gunicorn settings for the Procfile's web process (`--config trading/gunicorn.conf.py`)."""


def child_exit(server, worker) -> None:
    """A web worker ended: drop its live gauges from /metrics (prometheus_client's multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
