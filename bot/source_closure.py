"""The project's own source files a module depends on, found by reading its imports.

A trained model depends on the code that trained it. Both the model's name
(bot/model.py) and Rasa's training cache (bot/rasa_own_code.py) key on these files,
so a change in a component, or in a helper it imports, trains again instead of
reusing what the old code produced. Standard library only: it runs in the gateway's
environment and inside Rasa.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path


def module_sources(project: Path, modules: Iterable[str]) -> list[Path]:
    """The modules' files in the project and every project file they import, in turn."""
    pending = list(modules)
    found: set[Path] = set()
    while pending:
        source = _source_of(project, pending.pop())
        if source is None or source in found:
            continue
        found.add(source)
        pending.extend(_imported_modules(source))
    return sorted(found)


def sources_digest(project: Path, modules: Iterable[str]) -> str:
    """One hash over the names and contents of the modules' project files."""
    digest = hashlib.sha256()
    for source in module_sources(project, modules):
        digest.update(source.relative_to(project).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _source_of(project: Path, module: str) -> Path | None:
    """The file that defines a dotted module name inside the project, if it is one."""
    base = project / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(source: Path) -> list[str]:
    """Dotted names a module imports, including `from package import module` forms."""
    modules: list[str] = []
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.append(node.module)
            modules.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return modules
