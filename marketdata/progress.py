"""A progress line for long commands: rewritten in place on a terminal, sparse in a log."""

import sys
import time


class ProgressLine:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        # A terminal redraws often; a log file gets a line every few seconds.
        self.min_interval = 0.2 if self.tty else 2.0
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        final = done >= total
        if phase == self._phase and not final and now - self._last < self.min_interval:
            return
        self._last, self._phase = now, phase
        percent = 100 * done / total if total else 100.0
        filled = int(30 * percent / 100)
        line = f"{phase:<10} [{'#' * filled}{'.' * (30 - filled)}] {percent:5.1f}%  {done}/{total}"
        self.stream.write(("\r" + line + ("\n" if final else "")) if self.tty else line + "\n")
        self.stream.flush()
