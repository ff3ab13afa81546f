"""Like datasette's: a setting or a command that the README does not document fails the build."""

from __future__ import annotations

import re
from pathlib import Path

from mapping import config
from mapping.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [name for name in config.SETTINGS if name not in README]
    assert not missing, f"README does not document: {missing}"


def test_every_setting_read_in_code_is_declared():
    used = set()
    for path in list((ROOT / "mapping").rglob("*.py")) + [ROOT / "app.py", *(ROOT / "pages").glob("*.py")]:
        if path.exists():
            used |= set(re.findall(r"STOCKTAKE_[A-Z_]+", path.read_text(encoding="utf-8")))
    undeclared = used - set(config.SETTINGS)
    assert not undeclared, f"settings used but not declared in mapping.config.SETTINGS: {undeclared}"


def test_every_command_is_in_the_readme():
    action = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [name for name in action.choices if f"python -m mapping {name}" not in README]
    assert not missing, f"README does not show: {missing}"


def test_no_engine_module_imports_streamlit():
    offenders = [p.name for p in (ROOT / "mapping").rglob("*.py")
                 if re.search(r"^\s*(import|from)\s+streamlit", p.read_text(encoding="utf-8"), re.M)]
    assert not offenders, offenders


def _module_names() -> list[tuple[str, str]]:
    """(module path as the docs write it, what to look for) for every module of the engine."""
    out = []
    for path in sorted((ROOT / "mapping").rglob("*.py")):
        rel = path.relative_to(ROOT / "mapping").as_posix()
        if rel.startswith("store/migrations/"):
            out.append((rel, "store/migrations/"))
        elif path.name == "__init__.py":
            out.append((rel, "mapping/__init__.py" if rel == "__init__.py" else rel.removesuffix("__init__.py")))
        else:
            out.append((rel, "mapping/__main__.py" if rel == "__main__.py" else rel))
    return out


def test_every_engine_module_is_named_in_the_architecture_docs():
    docs = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [rel for rel, needle in _module_names() if needle not in docs]
    assert not missing, f"docs/architecture.md does not name: {missing}"


def test_every_engine_module_is_named_in_the_readme_architecture_section():
    section = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    missing = [rel for rel, needle in _module_names() if needle not in section]
    assert not missing, f"README's Architecture section does not name: {missing}"
