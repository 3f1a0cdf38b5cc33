"""Rewrite the generated regions of README.md and docs/*.md from their single sources (wires apps together).

A region is `<!-- generated:NAME -->` ... `<!-- /generated -->` in a Markdown file; what sits between
the two markers is replaced by what the renderer of NAME makes:

- `lifecycle`: the order lifecycle table, `orders.lifecycle.transitions_markdown()`;
- `layers`: the layer diagram, from the import-linter contracts in pyproject.toml;
- `performance`: the benchmark figures, from benchmarks/results/<script>.json.

A renderer whose source does not exist yet (a module not written, no contracts) skips its region and
says why: the region keeps what it holds. `--check` writes nothing and fails when a region is stale.
"""

import ast
import importlib
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

REGION = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.DOTALL)


class SourceMissing(Exception):
    """The region's source is not in this checkout (yet): the region is left as it is."""


def repo_root() -> Path:
    return Path(settings.BASE_DIR)


def doc_files(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


# --- Renderers --------------------------------------------------------------------------------------------


def render_lifecycle(root: Path) -> str:
    try:
        lifecycle = importlib.import_module("orders.lifecycle")
    except ModuleNotFoundError as exc:
        if exc.name != "orders.lifecycle":  # the module is there but something it imports is not: a real error
            raise
        raise SourceMissing(f"orders.lifecycle does not exist yet ({exc})") from exc
    render = getattr(lifecycle, "transitions_markdown", None)
    if render is None:
        raise SourceMissing("orders.lifecycle has no transitions_markdown() yet")
    return render().strip() + "\n"


def render_layers(root: Path) -> str:
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    if not contracts:
        raise SourceMissing("pyproject.toml has no [[tool.importlinter.contracts]] yet")
    parts = []
    for contract in contracts:
        kind = contract.get("type")
        if kind == "layers":
            parts.append(_layers_block(contract))
        elif kind == "forbidden":
            source_modules = contract.get("source_modules", [])
            sources = ", ".join(f"`{m}`" for m in source_modules)
            forbidden = ", ".join(f"`{m}`" for m in contract.get("forbidden_modules", []))
            verb = "imports" if len(source_modules) == 1 else "import"
            parts.append(f"- {contract.get('name', 'forbidden')}: {sources} never {verb} {forbidden}.\n")
        elif kind == "independence":
            modules = ", ".join(f"`{m}`" for m in contract.get("modules", []))
            parts.append(f"- {contract.get('name', 'independence')}: {modules} import none of each other.\n")
    return "\n".join(parts)


def _layers_block(contract: dict) -> str:
    """Highest layer first; a lower layer never imports a higher one. `a | b` are independent siblings."""
    layers = [str(layer) for layer in contract.get("layers", [])]
    containers = contract.get("containers", [])
    title = contract.get("name", "layers")
    if containers:
        title += f" (inside {', '.join(containers)})"
    lines = "\n      |\n      v\n".join(layers)
    return f"{title}, highest first (each may import only what is below it):\n\n```\n{lines}\n```\n"


def render_performance(root: Path) -> str:
    rows = [
        "| benchmark | what it measures | result (the run's summary line) | verdict | measured |",
        "|---|---|---|---|---|",
    ]
    for script in sorted((root / "benchmarks").glob("[!_]*.py")):
        measures = _first_docstring_line(script)
        result_file = root / "benchmarks" / "results" / f"{script.stem}.json"
        if not result_file.exists():
            rows.append(f"| `{script.name}` | {_cell(measures)} | not measured yet | | |")
            continue
        result = json.loads(result_file.read_text())
        verdict = "PASS" if result.get("pass") else "FAIL"
        measured = f"{result.get('date', '?')}; {result.get('machine_note', '')}"
        cells = [f"`{script.name}`", measures, result.get("summary", ""), verdict, measured]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _first_docstring_line(script: Path) -> str:
    docstring = ast.get_docstring(ast.parse(script.read_text())) or ""
    return docstring.strip().splitlines()[0] if docstring.strip() else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


RENDERERS: dict[str, Callable[[Path], str]] = {
    "lifecycle": render_lifecycle,
    "layers": render_layers,
    "performance": render_performance,
}


# --- Regions ----------------------------------------------------------------------------------------------


def regenerate(text: str, root: Path, skipped: dict[str, str]) -> str:
    """The text with every region rendered afresh; regions whose source is missing are noted in `skipped`."""

    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in RENDERERS:
            raise CommandError(f"no renderer for the generated region {name!r}")
        try:
            body = RENDERERS[name](root)
        except SourceMissing as exc:
            skipped[name] = str(exc)
            return match[0]
        return f"{match[1]}{body}{match[4]}"

    return REGION.sub(replace, text)


def stale_files(root: Path, *, write: bool) -> tuple[list[Path], dict[str, str]]:
    """The doc files whose generated regions differ from their sources (rewritten when `write`)."""
    stale, skipped = [], {}
    for path in doc_files(root):
        if not path.exists():
            continue
        text = path.read_text()
        fresh = regenerate(text, root, skipped)
        if fresh != text:
            stale.append(path)
            if write:
                path.write_text(fresh)
    return stale, skipped


class Command(BaseCommand):
    help = (
        "Rewrite the generated regions of README.md and docs/*.md (order lifecycle, layer diagram, "
        "benchmark table) from the code, pyproject.toml and benchmarks/results/. --check changes nothing "
        "and fails when a region is out of date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a region is stale")

    def handle(self, *args, check: bool = False, **options):
        root = repo_root()
        stale, skipped = stale_files(root, write=not check)
        for name, reason in sorted(skipped.items()):
            self.stdout.write(f"skipped the {name} region: {reason}; it keeps its current text")
        names = ", ".join(str(p.relative_to(root)) for p in stale)
        if check and stale:
            raise CommandError(f"generated regions out of date in: {names} (run `python manage.py docs_generate`)")
        self.stdout.write(f"rewrote {names}" if stale and not check else "generated regions are current")
