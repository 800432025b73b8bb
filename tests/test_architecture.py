"""The engine is pure: it imports nothing of the CLI, file output, presentation or plotting.

Its rooms are floors: accounts < contact < operations < daily, and a room imports only
the rooms below it (``PYTHONPATH=src python tests/import_graph.py`` prints who imports
whom). And the package has no import circles: a circle means a piece belongs one floor down.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import collectsim
from import_graph import ENGINE, ROOMS, cycles, imports, room, upward

PKG = Path(collectsim.__file__).parent
API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
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
    PKG / "gym",
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


def _documented_api() -> dict[str, str]:
    """name -> description, from the table in docs/api.md."""
    rows = {}
    for line in API_DOC.read_text().splitlines():
        m = re.fullmatch(r"\| `([\w.]+)` \| (.*) \|", line)
        if m:
            rows[m[1]] = m[2].strip()
    return rows


def test_public_api_is_documented_both_ways() -> None:
    """Every name in ``collectsim.__all__`` has a row in docs/api.md, and every row is in ``__all__``."""
    documented = _documented_api()
    assert sorted(documented) == sorted(collectsim.__all__)
    assert all(documented.values())
    assert len(collectsim.__all__) == len(set(collectsim.__all__))


def test_package_exports_nothing_else() -> None:
    """Besides its submodules, the package namespace holds only ``__all__``: no leaked helper names.

    The names load on first use, so every one is touched first.
    """
    for name in collectsim.__all__:
        getattr(collectsim, name)
    public = {n for n, v in vars(collectsim).items() if not n.startswith("_") and not isinstance(v, ModuleType)}
    assert public == set(collectsim.__all__) - {"__version__"}


def test_no_import_cycles() -> None:
    """No module of collectsim reaches itself through imports, counting those inside functions."""
    assert cycles(imports(PKG)) == []


def test_cycle_finder_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    """The cycle check is not vacuous: an import dodged into a function still closes a circle."""
    pkg = tmp_path / "collectsim"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from collectsim.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import g\n")
    (pkg / "c.py").write_text("from collectsim import a\n")
    assert cycles(imports(pkg)) == [["collectsim.a", "collectsim.sub.b"]]


def test_every_engine_module_lives_in_a_room() -> None:
    """The engine's folder reads like the model: besides its ``__init__``, every module sits in a room."""
    outside = [m for m in imports(PKG) if m.startswith(ENGINE + ".") and room(m) is None]
    assert outside == []
    assert sorted(p.name for p in (PKG / "engine").iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(ROOMS)


def test_lower_rooms_never_import_higher_ones() -> None:
    """accounts < contact < operations < daily: an import may only go down (or stay in its room)."""
    assert upward(imports(PKG)) == []


def test_room_order_check_sees_an_upward_import() -> None:
    """The room check is not vacuous: accounts importing the daily loop is caught."""
    graph = {
        f"{ENGINE}.accounts.state": {f"{ENGINE}.daily.loop"},
        f"{ENGINE}.daily.loop": {f"{ENGINE}.accounts.state"},
    }
    assert upward(graph) == ["accounts.state -> daily.loop"]


def test_starting_the_cli_loads_neither_pandas_nor_scipy_nor_the_engine() -> None:
    """`import collectsim` and `collectsim --help` stay light: every worker and every start pays for imports."""
    code = (
        "import sys, contextlib, io\n"
        "import collectsim\n"
        "from collectsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = ('pandas', 'scipy', 'simpy', 'matplotlib', 'gymnasium', 'jinja2', 'rich', 'collectsim.engine')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
