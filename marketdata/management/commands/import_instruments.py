import tempfile
from pathlib import Path

import httpx
from django.core.management.base import BaseCommand, CommandError

from marketdata.progress import ProgressLine
from marketdata.scripmaster import ScripMasterError
from marketdata.services import instruments_import

ANGEL_SCRIP_MASTER = "https://margincalculator.angelbroking.com/OpenAPI_File/files/OpenAPIScripMaster.json"


class Command(BaseCommand):
    help = (
        "Import Angel One's scrip master (JSON array). The whole file is checked first and swapped in "
        "with one transaction: a bad or truncated file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", default=ANGEL_SCRIP_MASTER, help="a path or an http(s) URL")
        parser.add_argument(
            "--max-error-ratio",
            type=float,
            default=0.01,
            help="refuse the file if more than this share of rows is invalid (default 0.01; 0 = strict)",
        )
        parser.add_argument(
            "--allow-shrink",
            action="store_true",
            help="accept a file that would deactivate more than 10%% of the active instruments",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, change nothing")

    def handle(self, *args, source: str, max_error_ratio: float, allow_shrink: bool, dry_run: bool, **opts):
        progress = ProgressLine()
        data = self._read(source, progress)
        try:
            report = instruments_import(
                data=data,
                max_error_ratio=max_error_ratio,
                allow_shrink=allow_shrink,
                dry_run=dry_run,
                progress=progress,
            )
        except ScripMasterError as exc:
            raise CommandError(f"{source}: {exc}; nothing changed") from exc
        for error in report.errors[:50]:
            self.stderr.write(str(error))
        if len(report.errors) > 50:
            self.stderr.write(f"... and {len(report.errors) - 50} more rejected rows")
        if not report.applied and not dry_run:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())

    def _read(self, source: str, progress) -> bytes:
        if source.startswith(("http://", "https://")):
            try:
                with (
                    httpx.stream("GET", source, timeout=httpx.Timeout(30.0), follow_redirects=True) as response,
                    tempfile.TemporaryFile() as buffer,
                ):
                    response.raise_for_status()
                    total = int(response.headers.get("content-length") or 0)
                    for chunk in response.iter_bytes():
                        buffer.write(chunk)
                        if total:
                            progress("download", buffer.tell(), total)
                    buffer.seek(0)
                    return buffer.read()
            except httpx.HTTPError as exc:
                raise CommandError(f"could not download {source}: {exc}; nothing changed") from exc
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc}") from exc
