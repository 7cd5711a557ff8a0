"""The package's shape (README "How it is built"): a small base and three wings, imports only
downward, no cycles; the Lambda build leaves the tools out."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from skill.config import REPO_ROOT

PACKAGE = REPO_ROOT / "skill"
# Lower layers never import higher ones.
LAYERS = {"base": 0, "conversation": 1, "runtime": 2, "tools": 3}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "base"


def imports_of(path: Path) -> set[str]:
    """Every skill module ``path`` imports, at the top or inside a function."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("skill"):
                found |= {f"{target}.{alias.name}" for alias in node.names} if not node.module else {target}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("skill")}
    return found


GRAPH = {module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def test_imports_go_only_downward() -> None:
    upward = sorted(f"{module} ({layer(module)}) imports {target} ({layer(target)})"
                    for module, targets in GRAPH.items() for target in targets
                    if LAYERS[layer(target)] > LAYERS[layer(module)])
    assert upward == []


def test_the_import_graph_has_no_cycle() -> None:
    known = set(GRAPH)
    edges = {module: {target for target in targets if target in known} for module, targets in GRAPH.items()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, " -> ".join([*path[path.index(module):], module])
        if module in done:
            return
        for target in sorted(edges[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])


def test_the_base_is_small_and_each_wing_is_a_package() -> None:
    top = sorted(path.stem for path in PACKAGE.glob("*.py") if path.name != "__init__.py")
    assert top == ["config", "fastjson", "logsafe", "observability", "persistence"]
    assert all((PACKAGE / wing / "__init__.py").exists() for wing in ("conversation", "runtime", "tools"))


def test_the_runtime_starts_without_the_tools() -> None:
    """What the Lambda artefact holds (the Makefile removes skill/tools) is enough to answer."""
    code = ("import sys, importlib.abc\n"
            "class NoTools(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path, target=None):\n"
            "        if name == 'skill.tools' or name.startswith('skill.tools.'):\n"
            "            raise ImportError('no tools in the artefact: ' + name)\n"
            "sys.meta_path.insert(0, NoTools())\n"
            "import skill.runtime.lambda_handler, skill.runtime.app\n"
            "skill.runtime.app.create_app({'SKILL_DATABASE_URL': 'sqlite:///:memory:', 'ALEXA_VERIFY_SIGNATURES': 'false'})\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
