"""Settings for the Sentry test's web process: the product's, with one more URL (a view that fails)."""

from trading.settings import *  # noqa: F403

ROOT_URLCONF = "tests.monitoring.sentry_urls"
