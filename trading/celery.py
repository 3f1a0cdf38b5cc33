"""The Celery application shared by web, worker and beat processes."""

import gc
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init

from core import queue_transport  # noqa: F401 - registers the embedded broker's "atomicfs://"
from monitoring.heartbeats import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading.settings")

app = Celery("trading")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["consumer"].add(WorkerHeartbeat)  # workers write a heartbeat that /health/ready reads


@worker_process_init.connect
def _freeze_what_startup_loaded(**kwargs) -> None:
    """Everything a worker child inherits lives as long as it does: the garbage collector stops scanning it
    (as trading/wsgi.py does for web processes), so a full collection no longer pauses a task for ~50 ms."""
    gc.freeze()


@task_prerun.connect
@task_postrun.connect
def _database_hygiene(**kwargs) -> None:
    """Keep database connections between tasks, as web requests do (CONN_MAX_AGE, health checks).

    Celery's Django fixup would otherwise close them around every task
    (CELERY_DB_REUSE_MAX is set so it does not), and a new PostgreSQL
    connection per order was most of the database's work.
    """
    from django.db import close_old_connections

    close_old_connections()


def broker_health_check() -> str:
    """Raise unless the Celery broker accepts a connection right now (one try, short timeouts)."""
    options = {**app.conf.broker_transport_options, "socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    with app.connection_for_write(transport_options=options) as conn:
        conn.ensure_connection(max_retries=0, timeout=1)  # 0: fail at once instead of retrying
        if conn.transport_cls in ("filesystem", "atomicfs"):
            # The embedded transport "connects" without touching the disk:
            # check the queue folder really is there and writable.
            folder = conn.transport_options["data_folder_in"]
            if not os.access(folder, os.W_OK):
                raise RuntimeError(f"queue folder {folder} is not writable")
            return f"embedded queue folder {folder}"
        return f"{conn.transport_cls} at {conn.hostname}:{conn.port}"
