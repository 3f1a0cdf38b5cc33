"""Finding the code that writes given fields of the models, by reading every module of the project (AST).

What counts as a write: `obj.field = ...` (and `+=`, tuple targets), `setattr(obj, "field", ...)`, and a
queryset's or model's `update` / `create` / `get_or_create` / `update_or_create` / constructor call naming
the field (as a keyword or in `defaults=`). Tests are not walked: they set rows behind the code on purpose
to prove the code notices. Migrations are history.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "node_modules", "tests", "migrations", ".git", "static", "templates", "docs"}
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}


@dataclass(frozen=True)
class Write:
    path: str  # relative to the project
    line: int
    field: str
    how: str  # "assign", "setattr", or the call's name
    receiver: str  # the source of what is written to (for assignments), or the chain's root name (calls)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.how} {self.receiver}.{self.field}"


def project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if not SKIPPED_DIRS.intersection(relative.parts[:-1]):
            yield relative.as_posix(), ast.parse(path.read_text(), str(relative))


def _root_name(node) -> str:
    """`Order.objects.filter(...).update` -> "Order"; `orders.update` -> "orders"."""
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _targets(node):
    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
        yield from target.elts if isinstance(target, ast.Tuple | ast.List) else [target]


def _call_fields(call: ast.Call):
    for keyword in call.keywords:
        if keyword.arg == "defaults" and isinstance(keyword.value, ast.Dict):
            yield from (k.value for k in keyword.value.keys if isinstance(k, ast.Constant))
        elif keyword.arg:
            yield keyword.arg


def writes_of(fields: set[str], models: set[str], modules=None):
    """Every write of one of `fields` in the project (or `modules`: (path, tree) pairs). Calls count when they
    are rooted at one of `models` or at a variable (a queryset or a row of unknown model); calls rooted at
    another model do not."""
    for path, tree in project_modules() if modules is None else modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                for target in _targets(node):
                    if isinstance(target, ast.Attribute) and target.attr in fields:
                        yield Write(path, node.lineno, target.attr, "assign", ast.unparse(target.value))
            elif isinstance(node, ast.Call):
                yield from _call_writes(path, node, fields, models)


def _call_writes(path: str, call: ast.Call, fields: set[str], models: set[str]):
    func = call.func
    if isinstance(func, ast.Name) and func.id == "setattr" and len(call.args) >= 2:
        name = call.args[1]
        if isinstance(name, ast.Constant) and name.value in fields:
            yield Write(path, call.lineno, name.value, "setattr", ast.unparse(call.args[0]))
        return
    if isinstance(func, ast.Name) and func.id in models:
        called, root = func.id, func.id  # the model's constructor
    elif isinstance(func, ast.Attribute) and func.attr in WRITING_CALLS:
        called, root = func.attr, _root_name(func.value)
        if root[:1].isupper() and root not in models:
            return  # another model's rows
    else:
        return
    for field in _call_fields(call):
        if field in fields:
            yield Write(path, call.lineno, field, called, root)
