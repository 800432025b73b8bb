"""Every Python snippet in README.md and docs/ runs, as a user would paste it into a script.

Each block runs as its own file in a fresh folder that sees the project's scenarios and example
files, so a snippet that needs a name it never defines, or a process pool without the
``if __name__ == "__main__":`` guard, fails here. The optimiser's snippet runs the shipped study
(minutes): it is in the ``slow`` run, and tests/test_optimise.py covers the API by default.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHARED = ("scenarios", "optimise", "examples", "sweeps")
SLOW = ("cs.optimise(",)


def snippets() -> list:
    out = []
    for doc in DOCS:
        for i, block in enumerate(re.findall(r"^```python\n(.*?)^```", doc.read_text(), re.S | re.M)):
            marks = [pytest.mark.slow] if any(s in block for s in SLOW) else []
            out.append(pytest.param(block, id=f"{doc.name}-{i}", marks=marks))
    return out


@pytest.mark.parametrize("code", snippets())
def test_snippet_runs(code: str, tmp_path: Path) -> None:
    for name in SHARED:
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "snippet.py").write_text(code)
    # The snippet runs in another folder: a relative PYTHONPATH (PYTHONPATH=src) must still mean this checkout.
    paths = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)} if paths else None
    out = subprocess.run(
        [sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]


def test_the_docs_have_snippets() -> None:
    assert len(snippets()) >= 4


def commands() -> list:
    """Every `collectsim …` line in a bash block of the how-to guides."""
    out = []
    for doc in sorted((ROOT / "docs").glob("howto-*.md")):
        for block in re.findall(r"^```bash\n(.*?)^```", doc.read_text(), re.S | re.M):
            out += [
                pytest.param(line, id=f"{doc.name}:{line[11:60]}")
                for line in block.splitlines()
                if line.startswith("collectsim ")
            ]
    return out


@pytest.mark.parametrize("line", commands())
def test_guide_commands_parse_and_name_shipped_files(line: str) -> None:
    """A guide's command is one the CLI accepts today, and every file it names is shipped."""
    import shlex

    from collectsim.cli.parser import _build_parser

    argv = shlex.split(line)[1:]
    _build_parser().parse_args(argv)  # a renamed or removed flag exits here
    for arg in argv:
        if arg.endswith(".toml"):
            assert (ROOT / arg).is_file(), arg


def test_the_guides_show_commands() -> None:
    assert len(commands()) >= 8
