"""Settings for the benchmarks' servers: the product settings plus the floor endpoints' URLconf.

Only the URLconf differs; everything else (DEBUG, keys, hosts, throttle rate)
comes from the environment the benchmark gives the server (quotes.py: gunicorn;
orders.py: gunicorn, the Celery worker and the feed, all with this module).
"""

from trading.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks._floor_urls"
if "127.0.0.1" not in ALLOWED_HOSTS:  # noqa: F405
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "127.0.0.1"]  # noqa: F405
