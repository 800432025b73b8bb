"""Every Python snippet in README.md and docs/ runs, as a user would paste it into a script.

Each block runs as its own file in a fresh folder that sees the project's scenarios and example
files, so a snippet that needs a name it never defines, or a process pool without the
``if __name__ == "__main__":`` guard, fails here. The optimiser's snippet runs the shipped study
(minutes): it is in the ``slow`` run, and tests/test_optimise.py covers the API by default.
"""

from __future__ import annotations

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
    out = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]


def test_the_docs_have_snippets() -> None:
    assert len(snippets()) >= 4
