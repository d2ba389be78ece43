"""The package's import graph is acyclic and points down the layers of DESIGN.md:
base (errors, status, validate, bits, ...) <- codes <- compiled tables / module geometry <-
kernels and fault models <- codec <- injection / analysis / memory <- campaigns, sweeps,
results, reports <- plots <- the CLI. Fault models know nothing of codes; codes know nothing of
modules or faults. Function-level (lazy) imports count too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import eccsim

ROOT = Path(eccsim.__file__).parent

#: layer of each top-level part of the package; an import may only point to the same or a
#: lower layer (and the whole graph must still be acyclic)
LAYERS = {
    "errors": 0, "status": 0, "validate": 0, "bits": 0, "gf2": 0, "gf2m": 0, "safeio": 0,
    "stats": 0,
    "outcomes": 0, "version": 0,
    "codes": 1,
    "compile": 2, "module": 2,
    "_kernels": 3, "_kernels_avx2": 3, "_kernels_wide": 3, "dispatch": 3, "faults": 3,
    "codec": 4,
    "injection": 5, "analysis": 5, "memory": 5, "system": 5, "lifetime": 5,
    "lifetime_runner": 6, "testbench": 6,
    "results": 6, "report": 6, "ber": 6, "campaign": 6, "benchmark": 6,
    "design": 6,
    "plots": 7,
    "cli": 8, "__init__": 9,
}  # fmt: skip


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    p = ROOT.parent / dotted.replace(".", "/")
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Every eccsim module ``path`` imports, at any depth of the file."""
    name = module_name(path)
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "eccsim"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "eccsim":
                continue
            subs = {f"{target}.{a.name}" for a in node.names if is_module(f"{target}.{a.name}")}
            out |= subs  # `from . import dispatch` imports the module dispatch ...
            if len(subs) < len(node.names):
                out.add(target)  # ... `from .faults import get_fault` the package faults
    out.discard(name)
    return out


GRAPH = {module_name(p): imports_of(p) for p in sorted(ROOT.rglob("*.py"))}


def part(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    missing = sorted({part(m) for m in GRAPH} - set(LAYERS))
    assert not missing, f"add these to LAYERS (and to DESIGN's layering): {missing}"


@pytest.mark.parametrize("mod", sorted(GRAPH))
def test_imports_point_down_the_layers(mod):
    up = sorted(t for t in GRAPH[mod] if LAYERS.get(part(t), 99) > LAYERS[part(mod)])
    assert not up, f"{mod} (layer {LAYERS[part(mod)]}) imports higher layers: {up}"


def test_fault_models_and_module_geometry_know_nothing_of_codes():
    for mod, targets in GRAPH.items():
        if part(mod) in ("faults", "module"):
            bad = sorted(t for t in targets if part(t) in ("codes", "compile", "codec", "dispatch"))
            assert not bad, f"{mod} imports {bad}"


def test_codes_know_nothing_of_modules_or_faults():
    for mod, targets in GRAPH.items():
        if part(mod) == "codes":
            bad = sorted(t for t in targets if LAYERS.get(part(t), 99) > LAYERS["codes"])
            assert not bad, f"{mod} imports {bad}"


@pytest.mark.parametrize("mod", sorted(GRAPH))
def test_no_module_imports_its_own_package(mod):
    """A package's ``__init__`` imports its submodules to re-export them; a submodule that
    imports its package back (``from eccsim import X``, ``from . import name_in_init``) closes a
    cycle through ``__init__``."""
    parents = {mod.rsplit(".", i)[0] for i in range(1, mod.count(".") + 1)}
    if mod in {m.rpartition(".")[0] for m in GRAPH}:  # a package's own __init__
        parents.discard(mod)
    assert not sorted(GRAPH[mod] & parents), f"{mod} imports its package(s)"


def test_the_import_graph_has_no_cycle():
    def owner(t: str) -> str:  # `from eccsim.faults.x import X`: the module eccsim.faults.x
        return t if t in GRAPH else t.rpartition(".")[0]

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH.get(m, ())):
            t = owner(t)
            if t not in GRAPH or t == m:
                continue
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(t) :], t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_the_package_exports_exactly_its_public_names():
    """``__all__`` lists every lazily loaded name, and each resolves to a real object."""
    assert set(eccsim.__all__) == set(eccsim._EXPORTS) | {"__version__"}
    for name in eccsim.__all__:
        assert getattr(eccsim, name) is not None


def test_every_public_module_is_reachable_as_an_attribute():
    """``eccsim.lifetime``, ``eccsim.testbench``, ...: each public module and subpackage of
    the top level loads on first use, like ``eccsim.faults``."""
    public = {p.stem for p in ROOT.glob("*.py") if not p.stem.startswith("_")}
    public |= {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert public == set(eccsim._SUBMODULES)
    for name in sorted(public):
        assert getattr(eccsim, name).__name__ == f"eccsim.{name}"


def test_the_command_line_starts_without_numba():
    """`eccsim` imports numba only inside a command, so a Ctrl-C while it loads is caught by
    the CLI (one line, exit 130) instead of a traceback from the import."""
    import subprocess
    import sys

    code = "import sys, eccsim.cli; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
