"""The engine is pure: it imports nothing of the CLI, file output, presentation or plotting."""

from __future__ import annotations

import ast
from pathlib import Path

import collectsim

PKG = Path(collectsim.__file__).parent
FORBIDDEN = (
    "collectsim.cli",
    "collectsim.store",
    "collectsim.present",
    "matplotlib",
    "argparse",
    "tqdm",
    "pathlib",
    "collectsim.plots",
    "collectsim.report",
)
EXPERIMENTS = PKG / "experiments"
PURE = [
    PKG / "engine",
    PKG / "policy",
    PKG / "metrics.py",
    PKG / "results.py",
    PKG / "rng.py",
    PKG / "dists.py",
    PKG / "queueing.py",
    PKG / "chehrazi.py",
    *(EXPERIMENTS / f for f in ("__init__.py", "runner.py", "stats.py", "design.py", "executors.py")),
    PKG / "calibration" / "fit.py",
]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files() -> list[Path]:
    out = []
    for p in PURE:
        out += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    return out


def test_engine_imports_nothing_of_presentation() -> None:
    """No engine, policy or metrics module imports CLI, store, plotting, argparse or pathlib."""
    bad = {str(f.relative_to(PKG)): sorted(m for m in _imports(f) if m.startswith(FORBIDDEN)) for f in _files()}
    assert {k: v for k, v in bad.items() if v} == {}


def test_engine_has_no_io_calls() -> None:
    """No engine module calls open() or print()."""
    for f in _files():
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("open", "print", "input"), f"{f.name} calls {node.func.id}()"


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    """The import scan is not vacuous: it finds a forbidden import in a sample file."""
    sample = tmp_path / "x.py"
    sample.write_text("import matplotlib.pyplot as plt\nfrom collectsim.store import write_run\n")
    assert {"matplotlib.pyplot", "collectsim.store"} <= _imports(sample)


def test_public_api_is_curated() -> None:
    """The package exports a short, deliberate list of names."""
    assert set(collectsim.__all__) == {
        "ActionPlan",
        "CollectsimError",
        "Policy",
        "RunResult",
        "Scenario",
        "ScenarioError",
        "__version__",
        "load_scenario",
        "simulate",
        "with_overrides",
        "Comparison",
        "ExperimentResult",
        "compare",
        "replicate",
        "sweep",
        "calibrate_targets",
        "TargetFit",
        "fit_histories",
        "HistoryFit",
        "optimise",
        "Optimisation",
    }
