"""The report page comes from a jinja2 template shipped inside the package, with every value escaped."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from collectsim.report import TEMPLATE, Bullets, Report, Table, render_html

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "src" / "collectsim" / "templates"


def test_templates_are_found_as_package_resources() -> None:
    """The page and its style sheet are read through importlib.resources, as an installed wheel holds them."""
    folder = files("collectsim") / "templates"
    assert (folder / TEMPLATE).is_file() and (folder / "report.css").is_file()


def test_package_data_ships_every_template() -> None:
    """pyproject's package-data globs match every file in templates/, so a non-editable install has them all."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["collectsim"]
    shipped = sorted(p.relative_to(TEMPLATES.parent).as_posix() for p in TEMPLATES.iterdir())
    assert shipped, "no templates"
    assert [p for p in shipped if not any(fnmatch.fnmatch(p, g) for g in globs)] == []


@pytest.mark.slow
def test_the_built_wheel_holds_the_templates(tmp_path: Path) -> None:
    """A wheel built from the source tree carries templates/report.html.j2 and report.css."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("collectsim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"collectsim/templates/{TEMPLATE}", "collectsim/templates/report.css"} <= names


def _page(**kw) -> str:
    rep = Report(
        kw.get("title", "Run: x"),
        "collectsim 0.1 · seed 1",
        {"Portfolio": ["1,000 accounts"]},
        tables=[("Teams", Table(["team.name_x", "cost"], [["<b>early</b>", "USD 1"]]))],
        lead=[("Key figures", Table(["KPI", "value"], [["recovery_rate", "41.0%"]]))],
        notes={"Design": ["grid & more"]},
    )
    return render_html(rep, [("Cumulative <recovery>", "QUJD")])


def test_every_value_is_escaped() -> None:
    """A title, cell, note or caption holding markup shows as text: autoescape is on."""
    page = _page(title="Run: <script>alert(1)</script>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>early</b>" not in page and "&lt;b&gt;early&lt;/b&gt;" in page
    assert "grid &amp; more" in page and 'alt="Cumulative &lt;recovery&gt;"' in page


def test_page_layout() -> None:
    """Verdict before notes, the scenario folded, headers breakable after "." and "_", tables in a scroll box."""
    page = _page()
    order = [page.index(s) for s in ("<h2>Key figures", "<h2>Design", "<details", "<h2>Teams", "<h2>Figures")]
    assert order == sorted(order)
    assert "<th>team.<wbr>name_<wbr>x</th>" in page
    assert page.count('<div class="wide"><table>') == 2
    assert '<img alt="Cumulative &lt;recovery&gt;" src="data:image/png;base64,QUJD">' in page
    assert "<ul><li>1,000 accounts</li></ul>" in page


def test_bullets_render_as_a_list() -> None:
    """A Bullets block is a plain list, not boxed like a table."""
    rep = Report("t", "s", lead=[("Verdict", Bullets(["hire 6", "4 miss the target"]))])
    page = render_html(rep, [])
    assert "<h2>Verdict</h2>\n<ul><li>hire 6</li><li>4 miss the target</li></ul>" in page
