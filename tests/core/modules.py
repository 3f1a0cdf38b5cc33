"""Our own modules as syntax trees, for the tests that pin "one definition of each idea"."""

import ast
import os
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SKIPPED_DIRS = {".venv", "node_modules", "tests", "migrations", "static", "templates", ".git"}


@cache
def our_modules() -> tuple[tuple[str, ast.AST], ...]:
    """(path relative to the project, parsed module) for every Python file of the product."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(f for f in files if f.endswith(".py")):
            relative = (Path(folder) / name).relative_to(ROOT)
            found.append((relative.as_posix(), ast.parse((ROOT / relative).read_text(), filename=str(relative))))
    return tuple(found)
