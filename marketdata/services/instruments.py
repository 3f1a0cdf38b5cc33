"""The instrument master: load a scrip master, verify it whole, then swap it in with one transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from core import clock
from core.errors import RuleViolation

from .. import scripmaster
from ..models import CASH_EXCHANGES, EQUITY_TYPE, Instrument
from ..naming import search_terms

Progress = Callable[[str, int, int], None]
ROW_FIELDS = ("symbol", "name", "instrument_type", "lot_size", "tick_size", "expiry", "strike")
# What an import writes: the file's fields, the company name (the file's, else the one known) and the search words.
FIELDS = (*ROW_FIELDS, "company_name", "search_terms")
COMPANY = FIELDS.index("company_name")
BATCH = 2000


@dataclass
class ImportReport:
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[scripmaster.RowError] = field(default_factory=list)
    applied: bool = False
    reason: str = ""

    def summary(self) -> str:
        state = "applied" if self.applied else f"NOT applied ({self.reason})"
        return (
            f"{self.rows} rows, {self.valid} valid, {len(self.errors)} rejected; "
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"deactivated {self.deactivated}: {state}"
        )


class ImportRefused(RuleViolation):
    code = "import_refused"


@dataclass
class Plan:
    """What an import would change, worked out before anything is written."""

    existing: dict  # (exchange, token) -> (pk, is_active, values)
    active_count: int
    to_write: list[Instrument]
    to_deactivate: set[int]


def instruments_import(
    *,
    data: bytes,
    max_error_ratio: float = 0.01,
    allow_shrink: bool = False,
    max_shrink_ratio: float = 0.10,
    dry_run: bool = False,
    deactivate_missing: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    """Load a scrip master, verify it whole, then swap it in with one transaction.

    Rows that fail validation are skipped and reported. The import changes
    nothing at all if more than `max_error_ratio` of rows fail, if the file
    is not a complete JSON array, or if it would deactivate more than
    `max_shrink_ratio` of the active instruments (unless `allow_shrink`).
    With `deactivate_missing=False` the file only adds and updates (a partial list).
    """
    report = ImportReport()
    rows = _parse(data, report, max_error_ratio, progress)
    if not rows:
        return report
    with transaction.atomic():
        plan = _plan(rows, report, deactivate_missing)
        if refusal := _shrink_refusal(plan, report, allow_shrink, max_shrink_ratio):
            report.reason = refusal
            return report
        if dry_run:
            report.reason = "dry run"
            transaction.set_rollback(True)
            return report
        _write(plan, progress)
        _verify(plan, rows, report)
        report.applied = True
    from ..selectors import instrument_cache_clear

    instrument_cache_clear()
    return report


def _parse(data: bytes, report: ImportReport, max_error_ratio: float, progress: Progress | None) -> list:
    """The valid rows, or [] with the reason when there are none or too many are invalid."""
    step = (lambda done, total: progress("validating", done, total)) if progress else None
    rows, report.errors = scripmaster.parse(data, step)
    report.rows = len(rows) + len(report.errors)
    report.valid = len(rows)
    if not rows:
        report.reason = "the file has no valid rows"
        return []
    if len(report.errors) > max_error_ratio * report.rows:
        report.reason = (
            f"{len(report.errors)} of {report.rows} rows are invalid (more than {max_error_ratio:.1%}); "
            "fix the file or raise --max-error-ratio"
        )
        return []
    return rows


def _plan(rows: list, report: ImportReport, deactivate_missing: bool) -> Plan:
    """Compare the file with the table: what to create, update, leave alone and deactivate."""
    existing = {
        (ex, tok): (pk, active, tuple(values))
        for pk, ex, tok, active, *values in Instrument.objects.values_list(
            "id", "exchange", "token", "is_active", *FIELDS
        )
    }
    new_keys = {row.key for row in rows}
    to_deactivate = (
        {pk for key, (pk, active, _) in existing.items() if active and key not in new_keys}
        if deactivate_missing
        else set()
    )
    # A symbol may move to another token: its old holder must let go first.
    holder_of = {(ex, values[0]): pk for (ex, _), (pk, active, values) in existing.items() if active}
    generation = (Instrument.objects.aggregate(g=Max("import_generation"))["g"] or 0) + 1
    companies = _companies(rows, existing)
    to_write = []
    for row in rows:
        current = existing.get(row.key)
        values = _values(row, (current and current[2][COMPANY]) or companies.get(row.name, ""))
        if not _count_change(report, current, values):
            continue
        holder = holder_of.get((row.exchange, row.symbol))
        if holder is not None and (current is None or holder != current[0]):
            to_deactivate.add(holder)
        to_write.append(
            Instrument(
                exchange=row.exchange,
                token=row.token,
                is_active=True,
                import_generation=generation,
                **dict(zip(FIELDS, values, strict=True)),
            )
        )
    kept_ids = {existing[key][0] for key in new_keys if key in existing}
    report.deactivated = len(to_deactivate - kept_ids)
    active_count = sum(1 for _, active, _ in existing.values() if active)
    return Plan(existing, active_count, to_write, to_deactivate)


def _companies(rows: list, existing: dict) -> dict[str, str]:
    """Company names by underlying, from the cash equities of the file, else of the table: Angel One's file
    names no company, so a name once loaded is kept, and a derivative takes its underlying's."""
    companies = {}
    for (exchange, _), (_, _, values) in existing.items():
        fields = dict(zip(FIELDS, values, strict=True))
        if exchange in CASH_EXCHANGES and fields["instrument_type"] == EQUITY_TYPE and fields["company_name"]:
            companies[fields["name"]] = fields["company_name"]
    for row in rows:
        if row.exchange in CASH_EXCHANGES and row.instrument_type == EQUITY_TYPE and row.company_name:
            companies[row.name] = row.company_name
    return companies


def _values(row, known_company: str) -> tuple:
    """The row's values in FIELDS order."""
    fields = {name: getattr(row, name) for name in ROW_FIELDS}
    fields["company_name"] = row.company_name or known_company
    fields["search_terms"] = search_terms(
        exchange=row.exchange,
        token=row.token,
        **{name: fields[name] for name in ("symbol", "name", "company_name", "instrument_type", "expiry", "strike")},
    )
    return tuple(fields[name] for name in FIELDS)


def _count_change(report: ImportReport, current, values: tuple) -> bool:
    """Count the row as created, updated or unchanged; True when it must be written."""
    if current is None:
        report.created += 1
    elif current[1] and _same(current[2], values):
        report.unchanged += 1
        return False
    else:
        report.updated += 1
    return True


def _shrink_refusal(plan: Plan, report: ImportReport, allow_shrink: bool, max_shrink_ratio: float) -> str:
    if plan.active_count and not allow_shrink and report.deactivated > max_shrink_ratio * plan.active_count:
        return (
            f"it would deactivate {report.deactivated} of {plan.active_count} active instruments "
            f"(more than {max_shrink_ratio:.0%}); is the file complete? Use --allow-shrink if it is"
        )
    return ""


def _write(plan: Plan, progress: Progress | None) -> None:
    now = clock.now()
    deactivate = sorted(plan.to_deactivate)
    for start in range(0, len(deactivate), BATCH):
        Instrument.objects.filter(id__in=deactivate[start : start + BATCH]).update(is_active=False, updated_at=now)
    for start in range(0, len(plan.to_write), BATCH):
        Instrument.objects.bulk_create(
            plan.to_write[start : start + BATCH],
            update_conflicts=True,
            unique_fields=["exchange", "token"],
            update_fields=[*FIELDS, "is_active", "import_generation", "updated_at"],
        )
        if progress:
            progress("writing", min(start + BATCH, len(plan.to_write)), len(plan.to_write))


def _verify(plan: Plan, rows: list, report: ImportReport) -> None:
    """The table now holds exactly the active instruments the plan promised, or everything rolls back."""
    active_after = Instrument.objects.filter(is_active=True).count()
    newly_active = sum(1 for row in rows if not (row.key in plan.existing and plan.existing[row.key][1]))
    expected = plan.active_count - report.deactivated + newly_active
    if active_after != expected:
        raise ImportRefused(
            f"Verification failed: {active_after} active instruments, expected {expected}; rolled back."
        )


def _same(old: tuple, new: tuple) -> bool:
    return all(
        (Decimal(a) == Decimal(b)) if isinstance(b, Decimal) and a is not None else a == b
        for a, b in zip(old, new, strict=True)
    )
