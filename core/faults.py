"""Failpoints: named places where a test can make a process crash for real.

`TRADING_FAULTS=order_submit.before_broker_call` makes the process that
reaches that point kill its whole process group with SIGKILL, as a machine
losing power would: no cleanup, no acknowledgement. Each fault fires once per
marker file (`<var>/faults/<name>.fired`), so the restarted process proceeds.
Unset in production; a no-op costing one dict lookup.
"""

import os
import signal
from pathlib import Path

from django.conf import settings


def point(name: str) -> None:
    if name not in settings.FAULTS:
        return
    marker = Path(settings.VAR_DIR) / "faults" / f"{name}.fired"
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    os.killpg(os.getpgrp(), signal.SIGKILL)
