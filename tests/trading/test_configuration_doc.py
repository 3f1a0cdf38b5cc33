"""docs/configuration.md names every environment variable the platform reads, and only those.

The variables read are found in the code itself: an AST walk over our Python
modules (os.environ[...], os.environ.get/setdefault/pop, os.getenv, and the
settings' helpers env, env_bool, env_int, env_float, env_decimal, env_list),
plus the shell and make variables of Procfile*, the Makefile and .ci/.
The tests and the benchmarks set up their own environment and are left out.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"

NOT_PRODUCT = {"tests", "benchmarks", "node_modules", "var", "staticfiles", "docs", "static", "templates"}
ENV_HELPERS = {"env", "env_bool", "env_int", "env_float", "env_decimal", "env_list"}
ENVIRON_METHODS = {"get", "setdefault", "pop"}
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# make's own variables, never taken from the environment.
MAKE_BUILTINS = {"CURDIR", "MAKE", "MAKEFLAGS", "SHELL"}
# Names in .ci/run that belong to other programs, not to the platform.
OTHER_PROGRAMS = {
    "DEBIAN_FRONTEND",  # apt-get's, while CI installs the system packages
    "ON_ERROR_STOP",  # a psql variable (`psql -v`), not an environment variable
}


def product_modules() -> list[Path]:
    modules = []
    for top in sorted(ROOT.iterdir()):
        if top.name in NOT_PRODUCT or top.name.startswith("."):
            continue
        if top.is_dir():
            modules += sorted(top.rglob("*.py"))
        elif top.suffix == ".py":
            modules.append(top)
    return modules


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _name_argument(call: ast.Call) -> ast.AST | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in ENV_HELPERS:
        return call.args[0] if call.args else None
    if isinstance(func, ast.Attribute) and func.attr in ENVIRON_METHODS and _is_os_environ(func.value):
        return call.args[0] if call.args else None
    if isinstance(func, ast.Attribute) and func.attr == "getenv":
        return call.args[0] if call.args else None
    return None


class EnvReads(ast.NodeVisitor):
    """Names read from the environment; a name that is not written out is a finding of its own."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.names: set[str] = set()
        self.unnamed: list[str] = []
        self.helper_depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        # The helpers themselves read os.environ[name] for whichever name they are given.
        inside = node.name in ENV_HELPERS
        self.helper_depth += inside
        self.generic_visit(node)
        self.helper_depth -= inside

    def visit_Call(self, node: ast.Call) -> None:
        self._take(_name_argument(node), node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_os_environ(node.value):
            self._take(node.slice, node)
        self.generic_visit(node)

    def _take(self, argument: ast.AST | None, node: ast.AST) -> None:
        if argument is None:
            return
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            self.names.add(argument.value)
        elif not self.helper_depth:
            self.unnamed.append(f"{self.where}:{node.lineno}")


def python_reads() -> tuple[set[str], list[str]]:
    names, unnamed = set(), []
    for path in product_modules():
        reads = EnvReads(str(path.relative_to(ROOT)))
        reads.visit(ast.parse(path.read_text(), filename=str(path)))
        names |= reads.names
        unnamed += reads.unnamed
    return names, unnamed


SHELL_USE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")  # $NAME, ${NAME}, ${NAME:-default} (and make's $${NAME})
SHELL_ASSIGN = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*)=")  # NAME=value before a command: the command reads it
MAKE_USE = re.compile(r"\$\(([A-Z][A-Z0-9_]*)\)")
MAKE_ASSIGN = re.compile(r"^(?:export\s+)?(?:[\w\s-]+:\s*export\s+)?([A-Z][A-Z0-9_]*)\s*([:?+]?=)", re.MULTILINE)


def shell_reads(text: str) -> set[str]:
    return set(SHELL_USE.findall(text)) | set(SHELL_ASSIGN.findall(text))


def makefile_reads(text: str) -> set[str]:
    """Variables the environment (or `make NAME=...`) may give: `?=` defaults, `$(NAME)` never assigned
    in the file, and the recipes' shell variables."""
    assigned = {name: operator for name, operator in MAKE_ASSIGN.findall(text)}
    overridable = {name for name, operator in assigned.items() if operator == "?="}
    unassigned = set(MAKE_USE.findall(text)) - set(assigned) - MAKE_BUILTINS
    return overridable | unassigned | set(SHELL_USE.findall(text.replace("$(", "(")))


def process_file_reads() -> set[str]:
    names = set()
    for path in [*ROOT.glob("Procfile*"), *(ROOT / ".ci").iterdir()]:
        names |= shell_reads(path.read_text())
    return (names | makefile_reads((ROOT / "Makefile").read_text())) - OTHER_PROGRAMS


def variables_read() -> set[str]:
    names, _ = python_reads()
    return names | process_file_reads()


def variables_documented() -> set[str]:
    """Names in the first column of the doc's tables."""
    rows = re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", DOC.read_text(), re.MULTILINE)
    return set(rows)


def test_every_environment_name_in_the_code_is_written_out():
    _, unnamed = python_reads()
    assert unnamed == [], f"read from the environment under a computed name (write it out): {unnamed}"


def test_every_variable_the_code_reads_is_documented():
    missing = sorted(variables_read() - variables_documented())
    assert missing == [], f"read by the code, missing from docs/configuration.md: {missing}"


def test_every_documented_variable_is_read_by_the_code():
    stale = sorted(variables_documented() - variables_read())
    assert stale == [], f"in docs/configuration.md, read by no code: {stale}"


def test_the_walk_finds_each_kind_of_read():
    """The collector itself: each way of reading a variable is found (so an empty difference means something)."""
    source = (
        "import os\n"
        "a = os.environ['A_SUB']\nb = os.environ.get('B_GET')\nc = os.getenv('C_GETENV')\n"
        "d = env_decimal('D_HELPER', '1')\ne = os.environ.setdefault('E_SETDEFAULT', 'x')\n"
        "f = env(f'F_{x}')\n"
    )
    reads = EnvReads("example.py")
    reads.visit(ast.parse(source))
    assert reads.names == {"A_SUB", "B_GET", "C_GETENV", "D_HELPER", "E_SETDEFAULT"}
    assert reads.unnamed == ["example.py:7"]
    make = (
        "PORT ?= 8000\nPY := x\nrun: export DEBUG ?= 1\nrun:\n\t$(PY) $(PYTEST_ARGS) $(CURDIR) $${DEMO_PASSWORD:-x}\n"
    )
    assert makefile_reads(make) == {"PORT", "DEBUG", "PYTEST_ARGS", "DEMO_PASSWORD"}
    assert shell_reads("web: gunicorn --bind 127.0.0.1:$PORT\nREQUIRE_SERVICES=1 \\\n  make test") == {
        "PORT",
        "REQUIRE_SERVICES",
    }
