"""The formatter lays out the code: no line is packed by hand behind a comment that switches the formatter off."""

import re
import subprocess

from tests.core.modules import ROOT

PACKING = re.compile(r"#\s*fmt:\s*(skip|off)\b")


def packed_lines(paths) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate((ROOT / path).read_text().splitlines(), 1):
            if PACKING.search(line):
                found.append(f"{path}:{number}")
    return found


def test_no_tracked_python_file_opts_out_of_the_formatter():
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    paths = [path for path in tracked.stdout.split() if "/migrations/" not in path]
    assert len(paths) > 300  # the walk sees the project, not an empty list
    assert packed_lines(paths) == []


def test_the_walk_finds_a_packed_line(tmp_path, monkeypatch):
    sample = tmp_path / "packed.py"
    sample.write_text("x = [1,2]  # fmt" + ": skip\ny = 3\n")  # spelt in two parts, or this file would hold one
    monkeypatch.setattr("tests.trading.test_formatting.ROOT", tmp_path)
    assert packed_lines(["packed.py"]) == ["packed.py:1"]
