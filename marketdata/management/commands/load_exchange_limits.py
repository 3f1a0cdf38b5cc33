from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from marketdata import limits


class Command(BaseCommand):
    help = (
        "Load one of the exchanges' daily files the risk checks read: F&O freeze quantities (NSE's freeze "
        "list), the F&O ban list (fo_secban.csv), or circuit limits (exchange,symbol,lower,upper)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["freeze", "ban", "circuit"])
        parser.add_argument("path")
        parser.add_argument("--date", help="IST trading day for ban and circuit files (default: today)")

    def handle(self, *args, kind: str, path: str, date: str | None, **options):
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        day = _parse_day(date)
        try:
            if kind == "freeze":
                report = limits.freeze_quantities_load(text=text)
            elif kind == "ban":
                report = limits.fno_ban_load(text=text, day=day)
            else:
                report = limits.circuit_limits_load(text=text, day=day)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for line in report.skipped[:20]:
            self.stderr.write(f"skipped {line}")
        self.stdout.write(f"Loaded {report.loaded} {kind} entries ({len(report.skipped)} skipped).")


def _parse_day(text: str | None):
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError("--date must be YYYY-MM-DD") from None
