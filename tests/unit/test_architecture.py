"""The layout rules of docs/architecture.md, checked on the source: workflows use each other only
through what a package's __init__.py offers, only FHIR modules call the FHIR client, and no private
name is imported from another module."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIOSK = ROOT / "kiosk"
#: Shared parts every workflow may use module by module; every other package of kiosk/ is a workflow.
SHARED = {"fhir", "web", "auth", "audit", "scheduler", "demo", "migrations"}


@functools.cache
def modules() -> list[tuple[str, Path, ast.Module]]:
    """Every module of kiosk/, parsed once for all the checks (the trees are only read)."""
    out = []
    for path in sorted(KIOSK.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        out.append((name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return out


@functools.cache
def imports(name: str, path: Path, tree: ast.Module) -> list[tuple[str, list[str], int]]:
    """(imported module, names, line) of every import in a module, relative ones resolved (found once per
    module; callers only read the list)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            found.append((target, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
    return found


def workflow_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "kiosk" and (KIOSK / parts[1]).is_dir() and parts[1] not in SHARED:
        return parts[1]
    return None


def test_workflows_use_each_other_only_through_their_package() -> None:
    wrong = []
    for name, path, tree in modules():
        if name.count(".") == 1:
            continue  # kiosk/*.py: the registries every workflow is added to (app factory, models, CLI)
        mine = workflow_of(name)
        for target, names, line in imports(name, path, tree):
            targets = [target] + [f"{target}.{n}" for n in names if target in ("kiosk",)]
            for t in targets:
                theirs = workflow_of(t)
                if theirs and theirs != mine and t.count(".") > 1:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {t}")
    assert wrong == []


def test_the_issue_grep_finds_each_workflow_only_in_its_own_package() -> None:
    pattern = re.compile(r"from kiosk\.(beds|labels|supplies)\.|import kiosk\.(beds|labels|supplies)\.")
    wrong = []
    for path in KIOSK.rglob("*.py"):
        package = path.relative_to(KIOSK).parts[0]
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = pattern.search(text)
            if match and package != (match.group(1) or match.group(2)):
                wrong.append(f"{path.relative_to(ROOT)}:{number}")
    assert wrong == []


FHIR_CLIENT_CALLS = {"search", "read", "vread", "create", "update", "create_with_id", "transaction", "batch_read",
                     "metadata"}


def test_only_fhir_modules_call_the_fhir_client() -> None:
    """kiosk/fhir/ and each workflow's fhir.py (and the demo loader) talk to the server; nothing else."""
    wrong = []
    for name, path, tree in modules():
        if name.startswith(("kiosk.fhir", "kiosk.demo")) or path.name == "fhir.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in FHIR_CLIENT_CALLS and \
                    isinstance(node.value, ast.Attribute) and node.value.attr == "client":
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []


def test_no_private_name_is_imported_from_another_module() -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {n} from {target}"
             for name, path, tree in modules() for target, names, line in imports(name, path, tree)
             for n in names if n.startswith("_") and not n.startswith("__")]
    assert wrong == []


def test_no_request_reads_the_htmx_header_by_hand() -> None:
    """htmx requests are told apart in one place (kiosk.web.is_htmx / flask-htmx)."""
    wrong = [str(p.relative_to(ROOT)) for p in KIOSK.rglob("*.py") if '"HX-Request"' in p.read_text(encoding="utf-8")]
    assert wrong == []


def package_imports() -> dict[str, set[str]]:
    """kiosk's packages (folders) and the other packages each one imports, at any depth of the file
    (imports inside functions count: they are the same dependency, deferred)."""
    graph: dict[str, set[str]] = {}
    for name, path, tree in modules():
        parts = name.split(".")
        if len(parts) < 2 or not (KIOSK / parts[1]).is_dir():
            continue
        mine = graph.setdefault(parts[1], set())
        for target, names, _line in imports(name, path, tree):
            targets = [target, *(f"{target}.{n}" for n in names if target == "kiosk")]
            for t in targets:
                other = t.split(".")
                if len(other) >= 2 and other[0] == "kiosk" and (KIOSK / other[1]).is_dir() and other[1] != parts[1]:
                    mine.add(other[1])
    return graph


def test_no_two_packages_import_each_other_in_a_circle() -> None:
    graph = package_imports()
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                cycles.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # each circle once, from its smallest package
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    assert cycles == []
