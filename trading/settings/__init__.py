"""Settings for the trading platform, read from the environment.

The defaults are the embedded setup (SQLite, no Redis, no other server);
production differs only through the environment (every variable: docs/configuration.md).
By area: core (Django, database, caches, auth, static files, security),
api_and_workers (REST API, Celery), platform (market data, logs and
monitoring, orders, alerts and notifications, brokers).
"""

from .api_and_workers import *  # noqa: F403
from .core import *  # noqa: F403
from .platform import *  # noqa: F403
