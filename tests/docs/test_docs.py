"""The documentation: a short README, links that resolve, generated parts that match their sources, and no
subject written down in two places."""

import json
import re
import sys
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from trading.management.commands import docs_generate

ROOT = Path(settings.BASE_DIR)
README = ROOT / "README.md"
DOCS = ROOT / "docs"

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def prose_lines(path: Path) -> list[str]:
    """The file's lines outside fenced code blocks, where `#` starts a comment and links are literal."""
    lines, fenced = [], False
    for line in path.read_text().splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def headings(path: Path) -> list[str]:
    return [m[2] for line in prose_lines(path) if (m := HEADING.match(line))]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for heading in headings(path):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def links(path: Path) -> list[str]:
    # Inline code may show link syntax without being a link.
    return [target for line in prose_lines(path) for target in LINK.findall(re.sub(r"`[^`]*`", "", line))]


def test_the_readme_is_at_most_250_lines():
    assert len(README.read_text().splitlines()) <= 250


def test_every_link_to_a_file_or_an_anchor_resolves():
    broken = []
    for path in doc_files():
        for target in links(path):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ... are not this repository's
                continue
            file_part, _, anchor = target.partition("#")
            destination = (path.parent / file_part).resolve() if file_part else path
            if not destination.exists() or ROOT not in destination.parents:
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
                broken.append(f"{path.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_every_page_of_docs_is_listed_in_the_readme():
    listed = {(ROOT / target.partition("#")[0]).resolve() for target in links(README)}
    assert sorted(p.name for p in DOCS.glob("*.md") if p.resolve() not in listed) == []


def test_no_heading_appears_in_two_files():
    where: dict[str, set[str]] = {}
    for path in doc_files():
        for heading in headings(path):
            where.setdefault(heading.strip().lower(), set()).add(path.name)
    assert {h: sorted(files) for h, files in where.items() if len(files) > 1} == {}


def test_the_generated_regions_are_current():
    stale, _skipped = docs_generate.stale_files(ROOT, write=False)
    assert stale == [], "run `python manage.py docs_generate`"


# --- The generator ----------------------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path):
    """A small checkout: one doc with every kind of region, two benchmark scripts, no contracts."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "ticks.py").write_text('"""Ticks per second.\n\nMore."""\n')
    (tmp_path / "benchmarks" / "orders.py").write_text('"""Orders per second | under load."""\n')
    (tmp_path / "benchmarks" / "_common.py").write_text('"""Shared, not a benchmark."""\n')
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "README.md").write_text("# Readme\n")
    regions = "".join(
        f"<!-- generated:{name} -->\nold {name}\n<!-- /generated -->\n" for name in docs_generate.RENDERERS
    )
    (tmp_path / "docs" / "page.md").write_text(f"# Page\n\n{regions}")
    return tmp_path


def test_benchmarks_without_a_result_are_rows_saying_not_measured_yet(checkout):
    (checkout / "benchmarks" / "results" / "ticks.json").write_text(
        json.dumps(
            {"date": "2026-12-01T10:00:00+00:00", "pass": True, "summary": "9 ticks/s", "machine_note": "2 cores"}
        )
    )
    table = docs_generate.render_performance(checkout)
    rows = table.splitlines()[2:]
    assert rows == [
        "| `orders.py` | Orders per second \\| under load. | not measured yet | | |",
        "| `ticks.py` | Ticks per second. | 9 ticks/s | PASS | 2026-12-01T10:00:00+00:00; 2 cores |",
    ]


def test_a_region_whose_source_is_missing_keeps_its_text_and_is_reported(checkout, monkeypatch):
    monkeypatch.setitem(sys.modules, "orders.lifecycle", None)  # importing it raises ModuleNotFoundError
    stale, skipped = docs_generate.stale_files(checkout, write=True)
    text = (checkout / "docs" / "page.md").read_text()
    assert "old lifecycle" in text and "old layers" in text
    assert "old performance" not in text and "not measured yet" in text
    assert set(skipped) == {"lifecycle", "layers"}
    assert stale == [checkout / "docs" / "page.md"]


def test_the_lifecycle_region_is_the_lifecycle_modules_table(checkout, monkeypatch):
    module = types.ModuleType("orders.lifecycle")
    module.transitions_markdown = lambda: "| from | to |\n|---|---|\n| NEW | SUBMITTED |\n"
    monkeypatch.setitem(sys.modules, "orders.lifecycle", module)
    docs_generate.stale_files(checkout, write=True)
    assert (
        "<!-- generated:lifecycle -->\n| from | to |\n|---|---|\n| NEW | SUBMITTED |\n<!-- /generated -->"
        in (checkout / "docs" / "page.md").read_text()
    )


def test_the_layers_region_is_drawn_from_the_import_linter_contracts(checkout):
    (checkout / "pyproject.toml").write_text(
        "[[tool.importlinter.contracts]]\nname = 'Layers'\ntype = 'layers'\nlayers = ['trading', 'orders', 'core']\n"
        "[[tool.importlinter.contracts]]\nname = 'Brokers'\ntype = 'forbidden'\n"
        "source_modules = ['brokers']\nforbidden_modules = ['orders']\n"
    )
    body = docs_generate.render_layers(checkout)
    assert "trading\n      |\n      v\norders\n      |\n      v\ncore" in body
    assert "- Brokers: `brokers` never imports `orders`." in body


def test_check_mode_fails_on_a_stale_region_and_writes_nothing(checkout, monkeypatch):
    monkeypatch.setattr(docs_generate, "repo_root", lambda: checkout)
    before = (checkout / "docs" / "page.md").read_text()
    with pytest.raises(CommandError, match=r"out of date in: docs/page\.md"):
        call_command("docs_generate", "--check")
    assert (checkout / "docs" / "page.md").read_text() == before
    call_command("docs_generate")
    call_command("docs_generate", "--check")  # current now


def test_a_benchmark_run_keeps_its_result_for_the_table(tmp_path, monkeypatch):
    from benchmarks import _common

    monkeypatch.setattr(_common, "RESULTS_DIR", tmp_path)
    figures = {"machine": {"cpu_model": "Test CPU", "cpu_count": 2, "git": {"commit": "abc1234", "dirty": False}}}
    figures["backend"] = {"database": "postgresql", "redis": True}
    _common.save_result("ticks", figures, True, "9 ticks/s")
    saved = json.loads((tmp_path / "ticks.json").read_text())
    assert saved["summary"] == "9 ticks/s" and saved["pass"] is True
    assert saved["machine_note"] == "Test CPU, 2 cores; postgresql + Redis; commit abc1234"
    assert saved["date"].endswith("+00:00")
    _common.save_result("orders", figures, True, "TRACED RUN, timings inflated: 1 order/s")
    assert not (tmp_path / "orders.json").exists()
