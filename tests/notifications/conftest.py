# Deliveries are tested against the same local SMTP, webhook and Telegram receivers as monitoring's alerts.
from tests.monitoring.conftest import (  # noqa: F401 - fixtures, used by name
    commit,
    fake,
    fake_server,
    live_account,
    market,
    run,
    smtp,
    telegram,
    trader,
    webhook,
)
