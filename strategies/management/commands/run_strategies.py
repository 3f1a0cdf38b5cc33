import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from strategies import conf
from strategies.live.runner import StrategyRunner

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the active strategy runs: feed them closed bars and fills, place their orders, write heartbeats."

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=None, help="Seconds between passes (default from settings).")
        parser.add_argument("--duration", type=float, help="Stop after this many seconds.")

    def handle(self, *args, **opts):
        poll = opts["poll"] or conf.runner_poll_seconds()
        deadline = time.monotonic() + opts["duration"] if opts["duration"] else None
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        runner = StrategyRunner()
        self.stdout.write(f"strategies: runner starting, a pass every {poll} s (Ctrl-C stops)")
        try:
            while not stopping and (deadline is None or time.monotonic() < deadline):
                self._pass(runner)
                time.sleep(poll)
        except KeyboardInterrupt:
            pass
        self.stdout.write("strategies: runner stopped")

    def _pass(self, runner: StrategyRunner) -> None:
        close_old_connections()
        try:
            runner.step()
        except Exception:  # the database went away for a moment: try again next pass
            logger.exception("strategy runner pass failed")
