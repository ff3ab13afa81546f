"""The house rules of the code, read from the source itself (ast), so a change that breaks one fails here.

Data flows one way: config/errors < geo < returns < store < analysis < outputs < workflow < commands/cli; a
module imports only its own layer or those below it, modules never import each other in a circle, the engine
never imports streamlit, nobody imports another module's `_private` name, and the pages never talk to the
database driver themselves.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("mapping.config", "mapping.errors", "mapping.geo", "mapping.returns", "mapping.store", "mapping.analysis",
          "mapping.outputs", "mapping.workflow", "mapping.commands", "mapping.cli", "mapping.__main__")
RANK = {"mapping.config": 0, "mapping.errors": 0, "mapping.geo": 1, "mapping.returns": 2, "mapping.store": 3,
        "mapping.analysis": 4, "mapping.outputs": 5, "mapping.workflow": 6, "mapping.commands": 7, "mapping.cli": 7,
        "mapping.__main__": 7, "mapping": 0}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]  # names taken from it (from X import a, b)
    line: int


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[Import]:
    """Every import in a file, wherever it sits (inside functions too: a lazy import is still a dependency)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [Import(name, a.name, (), node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.append(Import(name, base, tuple(a.name for a in node.names), node.lineno))
    return out


def layer(module: str) -> str | None:
    return next((p for p in sorted(RANK, key=len, reverse=True) if module == p or module.startswith(p + ".")), None)


def resolve(imp: Import, known: set[str]) -> list[str]:
    """The project modules an import reaches: `from mapping.store import db` reaches mapping.store.db."""
    found = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known]
    return found or ([imp.target] if imp.target in known else [])


def python_files(*folders: str) -> list[Path]:
    return [p for f in folders for p in sorted((ROOT / f).rglob("*.py"))]


def layer_violations(files: list[Path], root: Path = ROOT) -> list[str]:
    out = []
    for path in files:
        for imp in imports_of(path, root):
            if not imp.target.startswith("mapping"):
                continue
            mine, theirs = layer(imp.module), layer(imp.target)
            if mine and theirs and RANK[theirs] > RANK[mine]:
                out.append(f"{imp.module}:{imp.line} imports {imp.target} ({theirs} is above {mine})")
    return out


def cycles(files: list[Path], root: Path = ROOT) -> list[list[str]]:
    """Import cycles between modules (Tarjan's strongly connected components with more than one module)."""
    known = {module_name(p, root) for p in files}
    graph: dict[str, set[str]] = {m: set() for m in known}
    for path in files:
        for imp in imports_of(path, root):
            graph[module_name(path, root)] |= {t for t in resolve(imp, known) if t != module_name(path, root)}
    for m in list(graph):  # a package's __init__ importing its own modules is how a package lists them
        graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def private_imports(files: list[Path], root: Path = ROOT) -> list[str]:
    return [f"{imp.module}:{imp.line} imports {n} from {imp.target}" for path in files
            for imp in imports_of(path, root) for n in imp.names
            if n.startswith("_") and not n.startswith("__") and imp.target != "__future__"]


def forbidden(files: list[Path], prefix: str, root: Path = ROOT) -> list[str]:
    return [f"{imp.module}:{imp.line} imports {imp.target}" for path in files for imp in imports_of(path, root)
            if imp.target == prefix or imp.target.startswith(prefix + ".")]


def broad_excepts(files: list[Path], root: Path = ROOT) -> list[str]:
    """Handlers that catch everything (bare `except:`, `Exception`, `BaseException`), as "module:line"."""
    def broad(node: ast.expr | None) -> bool:
        names = node.elts if isinstance(node, ast.Tuple) else [node]
        return node is None or any(isinstance(n, ast.Name) and n.id in ("Exception", "BaseException") for n in names)

    return [f"{module_name(path, root)}:{node.lineno}" for path in files
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
            if isinstance(node, ast.ExceptHandler) and broad(node.type)]


ENGINE = python_files("mapping")
APP = [ROOT / "app.py", *python_files("views", "pages")]
# The two guards (the command line's and the views'), and the reader process's top level, which hands whatever
# it caught to the parent to be raised again there, where the two guards decide.
TOP_LEVELS = ("mapping.cli", "views.core", "mapping.returns.sandbox")


def test_no_engine_module_imports_a_higher_layer():
    assert layer_violations(ENGINE) == []


def test_no_import_cycles_between_modules():
    assert cycles(ENGINE + APP) == []


def test_the_engine_never_imports_streamlit():
    assert forbidden(ENGINE, "streamlit") == []


def test_no_module_imports_another_modules_private_name():
    assert private_imports(ENGINE + APP + python_files("bench")) == []


def test_pages_and_views_do_not_talk_to_the_database_driver():
    assert forbidden(APP, "sqlalchemy") == []


def test_only_the_top_levels_catch_every_exception():
    caught = broad_excepts(ENGINE + APP)
    assert sorted(c.partition(":")[0] for c in caught) == sorted(TOP_LEVELS), caught


def test_every_engine_module_has_a_layer():
    assert [module_name(p) for p in ENGINE if layer(module_name(p)) is None] == []


def test_the_checks_find_seeded_violations(tmp_path):
    """Each rule above, shown to fail on a small package that breaks it."""
    pkg = tmp_path / "mapping"
    for folder, text in {"geo": "from mapping.store import db\nfrom mapping.geo.b import _hidden\n",
                         "store": "import streamlit\nfrom mapping.geo import a\ntry:\n    a\nexcept (OSError, Exception):\n"
                                  "    pass\n"}.items():
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("", encoding="utf-8")
        (pkg / folder / "a.py" if folder == "geo" else pkg / folder / "db.py").write_text(text, encoding="utf-8")
    (pkg / "geo" / "b.py").write_text("from mapping.geo import a\n_hidden = 1\n", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    files = sorted(pkg.rglob("*.py"))
    assert layer_violations(files, tmp_path) == [
        "mapping.geo.a:1 imports mapping.store (mapping.store is above mapping.geo)"]
    assert cycles(files, tmp_path) == [["mapping.geo.a", "mapping.geo.b", "mapping.store.db"]]
    assert private_imports(files, tmp_path) == ["mapping.geo.a:2 imports _hidden from mapping.geo.b"]
    assert forbidden(files, "streamlit", tmp_path) == ["mapping.store.db:1 imports streamlit"]
    assert broad_excepts(files, tmp_path) == ["mapping.store.db:5"]
