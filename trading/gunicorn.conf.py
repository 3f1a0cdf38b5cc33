"""Gunicorn settings for the Procfile's web process (`--config trading/gunicorn.conf.py`)."""

import os


def _metrics_folder() -> str:
    """Where the workers write their samples: the settings' folder (the environment's, or the default under
    the var folder). The master loads no settings by itself, so it may not have the variable."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading.settings")
    from django.conf import settings

    return settings.PROMETHEUS_MULTIPROC_DIR


def child_exit(server, worker) -> None:
    """A web worker ended: drop its live gauges from /metrics (prometheus_client's multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_folder())
