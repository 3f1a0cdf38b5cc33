"""India's time zone is defined once, in core/clock.py; every other module imports it."""

import ast

from tests.core.modules import our_modules

INDIA_ZONE_NAMES = {"Asia/Kolkata", "Asia/Calcutta"}
OFFSET_SECONDS = 5 * 3600 + 30 * 60
CLOCK = "core/clock.py"


def _is_ist_offset_delta(node: ast.Call) -> bool:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if name != "timedelta":
        return False
    units = {"hours": 3600, "minutes": 60, "seconds": 1}
    total = 0
    for keyword in node.keywords:
        if keyword.arg not in units or not isinstance(keyword.value, ast.Constant):
            return False
        total += keyword.value.value * units[keyword.arg]
    return total == OFFSET_SECONDS


def ist_definitions(tree: ast.AST) -> list[int]:
    """Line numbers that spell India's zone or its offset instead of importing them."""
    return [node.lineno for node in ast.walk(tree) if _spells_ist(node)]


def _spells_ist(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in INDIA_ZONE_NAMES or (type(node.value) is int and node.value == OFFSET_SECONDS)
    return isinstance(node, ast.Call) and _is_ist_offset_delta(node)


def test_only_the_clock_defines_indias_time_zone():
    found = {path: lines for path, tree in our_modules() if path != CLOCK and (lines := ist_definitions(tree))}
    assert found == {}, "import IST / IST_OFFSET / IST_OFFSET_SECONDS from core.clock instead"


def test_the_check_sees_each_way_of_spelling_it():
    spelled = [
        'IST = ZoneInfo("Asia/Kolkata")',
        "IST = timedelta(hours=5, minutes=30)",
        "OFFSET = datetime.timedelta(minutes=330)",
        "IST_OFFSET = 19800",
    ]
    assert [bool(ist_definitions(ast.parse(line))) for line in spelled] == [True] * 4
    assert ist_definitions(ast.parse("from core.clock import IST\nx = timedelta(hours=5)")) == []
    clock = dict(our_modules())[CLOCK]
    assert ist_definitions(clock)  # the one place it is defined
