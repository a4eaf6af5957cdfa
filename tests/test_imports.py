"""The package's shape, checked from its import graph (grimp) and its syntax (ast): no import
circle anywhere in fairlabel, page modules that stand on their own (each imports the shared
web modules and domain services, never another page module), no private name taken from a
web module, and no page that returns a `Response` union instead of raising."""

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

import fairlabel

SOURCE = Path(fairlabel.__file__).parent
WEB = "fairlabel.web"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("fairlabel", cache_dir=None)


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        yield module_name(path), ast.parse(path.read_text(encoding="utf-8"), str(path))


def page_modules() -> set[str]:
    """Modules of fairlabel.web that define routes (`router = ...`); a package's
    __init__ only gathers its modules' routers."""
    found = set()
    for path in SOURCE.joinpath("web").rglob("*.py"):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        if "router" in assigned:
            found.add(module_name(path))
    return found


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_in_the_package(graph: grimp.ImportGraph) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    """The check above must be able to fail: a graph with a circle of three is reported."""
    made = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        made.add_module(module)
    made.add_import(importer="a.b", imported="a.c")
    made.add_import(importer="a.c", imported="a.d")
    made.add_import(importer="a.d", imported="a.b")
    assert cycles(made) == [["a.b", "a.c", "a.d"]]


def test_page_modules_import_no_other_page_module(graph: grimp.ImportGraph) -> None:
    pages = page_modules()
    assert len(pages) > 15 and f"{WEB}.client.projects" in pages
    assert f"{WEB}.pages" not in pages and f"{WEB}.forms" not in pages
    crossings = {
        page: sorted(graph.find_modules_directly_imported_by(page) & (pages - {page}))
        for page in sorted(pages)
    }
    assert {page: found for page, found in crossings.items() if found} == {}


def test_no_private_name_is_taken_from_a_web_module() -> None:
    taken = [
        f"{module} takes {alias.name} from {node.module}"
        for module, tree in source_files()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(WEB)
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert taken == []


def test_no_page_returns_a_response_union() -> None:
    """Page functions raise; an `isinstance(x, Response)` check is the old union's mark."""
    found = [
        f"{module}:{node.lineno}"
        for module, tree in source_files()
        if module.startswith(WEB)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "isinstance"
        and len(node.args) == 2
        and "Response" in ast.unparse(node.args[1])
    ]
    assert found == []
