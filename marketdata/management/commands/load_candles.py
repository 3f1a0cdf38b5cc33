from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.clock import IST
from core.errors import DomainError
from marketdata import candles_csv
from marketdata.intervals import INTERVALS
from marketdata.progress import ProgressLine
from marketdata.selectors import instrument_get_by_key, parse_symbol_key
from marketdata.services import candles_import


def parse_when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not an ISO date/time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=IST)).astimezone(UTC)


class Command(BaseCommand):
    help = "Import historical candles from CSV (header: date/timestamp or unnamed, open, high, low, close, volume)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--symbol", required=True, help="EXCH:SYMBOL, e.g. NSE:SBIN-EQ")
        parser.add_argument("--interval", required=True, choices=INTERVALS)
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows and report the others (default: any invalid row imports nothing)",
        )

    def handle(self, *args, path: str, symbol: str, interval: str, skip_invalid: bool, **opts):
        try:
            exchange, trading_symbol = parse_symbol_key(symbol)
            instrument = instrument_get_by_key(exchange=exchange, symbol=trading_symbol)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            candles, errors = candles_csv.parse(text, interval)
        except candles_csv.CandleFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        for line, message in errors[:50]:
            self.stderr.write(f"line {line}: {message}")
        if len(errors) > 50:
            self.stderr.write(f"... and {len(errors) - 50} more invalid lines")
        if errors and not skip_invalid:
            raise CommandError(f"{len(errors)} invalid lines; nothing imported (use --skip-invalid to import the rest)")
        if not candles:
            raise CommandError("no candles to import")
        count = candles_import(instrument=instrument, interval=interval, candles=candles, progress=ProgressLine())
        self.stdout.write(
            f"Imported {count} {interval} candles for {instrument.key} "
            f"({candles[0].start:%Y-%m-%d %H:%M} .. {candles[-1].start:%Y-%m-%d %H:%M} UTC)"
            + (f"; skipped {len(errors)} invalid lines" if errors else "")
        )
