"""Per-process caches that expire use core.cache.TimedCache, not a dict of timestamps made by hand."""

import ast

from tests.core.modules import our_modules

CLOCK_READS = {"monotonic", "time"}  # expiry clocks (perf_counter measures durations)
HELPER = "core/cache.py"


def _module_dicts(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        else:
            continue
        made = isinstance(value, ast.Call) and getattr(value.func, "id", "") == "dict"
        if isinstance(target, ast.Name) and (isinstance(value, ast.Dict) or made):
            names.add(target.id)
    return names


def _reads_the_clock(function: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", "") in CLOCK_READS
        and getattr(node.func.value, "id", "") == "time"
        for node in ast.walk(function)
    )


def hand_made_caches(tree: ast.Module) -> set[str]:
    """Module-level dicts that a function stores into while reading the clock: an expiring cache by hand."""
    dicts = _module_dicts(tree)
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef) or not _reads_the_clock(function):
            continue
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and getattr(node.value, "id", None) in dicts
            ):
                found.add(node.value.id)
    return found


def test_no_module_keeps_an_expiring_cache_by_hand():
    found = {path: names for path, tree in our_modules() if path != HELPER and (names := hand_made_caches(tree))}
    assert found == {}, "use core.cache.TimedCache"


def test_the_check_recognises_a_hand_made_cache():
    source = """
import time
_cache: dict = {}
def load(key):
    entry = _cache.get(key)
    if entry and entry[0] > time.monotonic():
        return entry[1]
    _cache[key] = (time.monotonic() + 60, key * 2)
"""
    assert hand_made_caches(ast.parse(source)) == {"_cache"}
    assert hand_made_caches(ast.parse("_registry = {}\ndef add(k, v):\n    _registry[k] = v")) == set()
