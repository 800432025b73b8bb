"""Reports: every command's folder gets figures and a self-contained report.html, rebuildable from disk alone."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import collectsim
import collectsim.engine
from collectsim.cli import main
from collectsim.verdict import staffing_verdict

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
SMALL = ["--set", "population.accounts=1000", "--set", "horizon.days=90", "--quiet", "--workers", "1"]

SECTIONS = {
    "run": ["Scenario", "Portfolio", "Policy ladder", "Teams", "Key figures", "Figures"],
    "compare": ["Scenario", "KPIs (mean", "Which policy wins", "Figures"],
    "sweep": ["Scenario", "Design", "Mean KPIs per design point", "Figures"],
    "staff": ["Scenario", "Team early_callers: the verdict", "Team early_callers: staffing curve", "Figures"],
}
FIGURES = {
    "run": {"liquidation", "waterfall", "roll_rates", "daily", "teams", "journeys"},
    "compare": {"liquidation", "cost_vs_recovery", "paired_differences"},
    "sweep": {"responses", "cost_vs_recovery"},
    "staff": {"staffing_early_callers"},
}


def _sweep_file(tmp: Path) -> Path:
    f = tmp / "s.toml"
    f.write_text(
        f'scenario = "{SC / "baseline.toml"}"\nreplications = 2\nkpis = ["recovery_rate", "net_recovery"]\n'
        '[set]\n"population.accounts" = 800\n"horizon.days" = 60\n'
        '[parameters."teams.late_callers.headcount"]\nlevels = [2, 6]\n'
    )
    return f


def _command(kind: str, tmp: Path) -> list[str]:
    out = ["--results", str(tmp / "results")]
    base = str(SC / "baseline.toml")
    target = ["--target-service", "0.9"]
    return {
        "run": ["run", base, *SMALL[:-2], *out],
        "compare": ["compare", base, str(SC / "soft.toml"), "-n", "2", *SMALL, *out],
        "sweep": ["sweep", str(_sweep_file(tmp)), "--quiet", "--workers", "1", *out],
        "staff": ["staff", base, "--team", "early_callers", "--headcount", "2:6:4", "-n", "2", *target, *SMALL, *out],
    }[kind]


@pytest.fixture(scope="module", params=["run", "compare", "sweep", "staff"])
def made(request, tmp_path_factory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp(request.param)
    assert main(_command(request.param, tmp)) == 0
    (folder,) = list((tmp / "results").iterdir())
    return request.param, folder


def test_report_has_every_section_and_figure(made: tuple[str, Path]) -> None:
    """The report holds each expected section and embeds every figure, also saved as PNG."""
    kind, folder = made
    page = (folder / "report.html").read_text()
    for section in SECTIONS[kind]:
        assert section in page, section
    pngs = {p.stem for p in (folder / "figures").glob("*.png")}
    assert FIGURES[kind] <= pngs
    assert page.count("data:image/png;base64,") == len(pngs)


def test_report_has_no_external_references(made: tuple[str, Path]) -> None:
    """No link, script or image reaches outside the file: it opens with no network."""
    page = (made[1] / "report.html").read_text()
    assert not re.search(r"https?://", page)
    assert "<script" not in page and "<link" not in page
    for src in re.findall(r"src='([^']*)'", page):
        assert src.startswith("data:image/png;base64,")


@pytest.mark.parametrize("made", ["staff"], indirect=True)
def test_staff_report_and_terminal_give_one_verdict(made: tuple[str, Path]) -> None:
    """The staff report shows, word for word, the verdict the CLI printed: service at the best headcount,
    the smallest headcount meeting the target, an edge warning."""
    folder = made[1]
    page = html.unescape((folder / "report.html").read_text())
    printed = (folder / "report.txt").read_text()
    summary = pd.read_csv(folder / "staffing.csv")
    verdict = staffing_verdict(summary, 0.9, "USD")
    assert any(line.startswith("smallest headcount with service level ≥ 90%") for line in verdict) or any(
        line.startswith("no headcount tried") for line in verdict
    )
    for line in verdict:
        assert f"  {line}" in printed and line in page, line
    assert "chosen headcount" not in page
    lead = page.index("the verdict")
    assert lead < page.index("<summary><h2>Scenario</h2></summary>")


@pytest.mark.parametrize("made", ["staff"], indirect=True)
def test_staff_tables_show_the_marginal_npv_with_its_interval(made: tuple[str, Path]) -> None:
    """The terminal and HTML staffing tables show each marginal NPV per agent as 'value ± half-width', the two
    columns staffing.csv holds (the half-width from the replications' paired differences)."""
    folder = made[1]
    page = html.unescape((folder / "report.html").read_text())
    printed = (folder / "report.txt").read_text()
    summary = pd.read_csv(folder / "staffing.csv")
    assert {"marginal_npv_per_agent", "marginal_npv_per_agent_half_width"} <= set(summary.columns)
    later = summary.iloc[1:]
    assert later["marginal_npv_per_agent_half_width"].gt(0).all()
    for r in later.itertuples():
        sign = "−" if r.marginal_npv_per_agent < 0 else ""  # a true minus, before the currency
        cell = f"{sign}USD {abs(r.marginal_npv_per_agent):,.0f} ± {r.marginal_npv_per_agent_half_width:,.0f}"
        assert f"<td>{cell}</td>" in page, cell
        assert cell in printed, cell
    assert "marginal NPV per agent ± paired 95%" in page


def test_report_rebuilt_from_disk_without_simulating(made: tuple[str, Path], monkeypatch) -> None:
    """`collectsim report <folder>` rebuilds the same page from saved files; the simulator is never called."""
    folder = made[1]
    before = (folder / "report.html").read_text()

    def boom(*args, **kwargs):
        raise AssertionError("the report must not simulate")

    # The package first: its lazy attribute resolves (and monkeypatch saves) the real simulate only while
    # collectsim.engine still has it; the other order saved boom as the "original" and left it behind.
    monkeypatch.setattr(collectsim, "simulate", boom)
    monkeypatch.setattr(collectsim.engine, "simulate", boom)
    (folder / "report.html").unlink()
    assert main(["report", str(folder)]) == 0
    assert (folder / "report.html").read_text() == before


def test_no_report_flag(tmp_path: Path) -> None:
    """--no-report skips figures and the page."""
    assert main(["run", str(SC / "baseline.toml"), *SMALL[:-2], "--no-report", "--results", str(tmp_path)]) == 0
    (folder,) = list(tmp_path.iterdir())
    assert not (folder / "report.html").exists()


def test_report_on_a_foreign_folder(tmp_path: Path, cli) -> None:
    """A folder that is not a results folder: exit 2, one line. (The real command on a damaged folder runs as a
    process in test_damaged_folders.py.)"""
    proc = cli(["report", str(tmp_path)])
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "not a complete collectsim results folder" in proc.stderr


def test_run_report_describes_and_tallies_conduct_rules(tmp_path: Path) -> None:
    """With a rulebook, the report names its rules in words and tabulates blocks and deferrals by rule."""
    args = ["run", str(SC / "conduct_us_reg_f.toml"), *SMALL[:-2], "--results", str(tmp_path)]
    assert main(args) == 0
    (folder,) = list(tmp_path.iterdir())
    page = (folder / "report.html").read_text()
    assert "Conduct rules from us_reg_f, enforced" in page
    assert "Conduct rules (enforce)" in page and "reg_f_hours_8_21" in page


def test_a_shrunk_team_of_one_works_part_of_its_days_in_both_views(tmp_path: Path, capsys) -> None:
    """One rostered agent at 60% shrinkage is on the floor 40% of the days: shown as 0.4 and working."""
    args = ["run", str(ROOT / "scenarios" / "baseline.toml"), "--results", str(tmp_path), "--quiet"]
    over = ["population.accounts=300", "horizon.days=40", "teams.early_callers.headcount=1"]
    over.append("teams.early_callers.shrinkage=0.6")
    assert main([*args, *(x for o in over for x in ("--set", o))]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("early_callers"))
    assert row.split()[1:3] == ["1", "0.4"] and int(row.split()[3]) > 0
    html = next(tmp_path.glob("baseline-*/report.html")).read_text(encoding="utf-8")
    assert "<td>early_callers</td><td>1</td><td>0.4</td>" in html.replace("\n", "").replace(" ", "")


def test_report_refuses_a_folder_from_before_voided_work(tmp_path: Path, capsys) -> None:
    """A run folder whose teams table predates voided/overtime columns gets one clear line and exit 2."""
    args = ["run", str(ROOT / "scenarios" / "baseline.toml"), "--results", str(tmp_path), "--quiet", "--no-report"]
    assert main([*args, "--set", "population.accounts=300", "--set", "horizon.days=20"]) == 0
    folder = next(tmp_path.glob("baseline-*"))
    teams = folder / "teams.csv"
    lines = teams.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index("voided")
    teams.write_text("\n".join(",".join(c for k, c in enumerate(ln.split(",")) if k != col) for ln in lines))
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"], manifest["manifest_sha256"]  # an older collectsim wrote no checksums
    (folder / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "lacks voided" in err and "run it again" in err
    assert not (folder / "report.html").exists()


def test_statement_runs_headline_the_monthly_roll(tmp_path: Path) -> None:
    """With statements the key figures carry the monthly roll and sustained cures beside the bucket roll; a run
    without a contract shows neither (it has no such KPI)."""
    small = ["--set", "population.accounts=600", "--set", "horizon.days=120", "--quiet"]
    for name in ("us_card", "baseline"):
        assert main(["run", str(SC / f"{name}.toml"), *small, "--results", str(tmp_path / name)]) == 0
        (folder,) = list((tmp_path / name).iterdir())
        page = (folder / "report.html").read_text()
        lead = page[page.index("Key figures") : page.index("Scenario", page.index("Key figures"))]
        shown = {k: k in lead for k in ("roll_rate_30_60", "statement_roll_rate_30_60", "sustained_cure_share")}
        assert shown == {
            "roll_rate_30_60": True,
            "statement_roll_rate_30_60": name == "us_card",
            "sustained_cure_share": name == "us_card",
        }, name
        if name == "us_card":
            assert re.search(r"sustained_cure_share</td>\s*<td[^>]*>\d+\.\d\d%", lead), "a share, as a percentage"


def test_a_sobol_sweep_report_leads_with_its_indices(tmp_path: Path) -> None:
    """The indices are what a Sobol' sweep is for: they come before the long table of design points."""
    small = tmp_path / "small.toml"
    small.write_text((SC / "baseline.toml").read_text().replace("accounts = 20000", "accounts = 300"), encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text(
        'scenario = "small.toml"\ndesign = "sobol"\npoints = 4\nreplications = 1\nkpis = ["recovery_rate"]\n'
        '[set]\n"horizon.days" = 30\n[parameters."economy.beta"]\nlow = 0\nhigh = 0.5\n'
        '[parameters."teams.early_callers.headcount"]\nlow = 2\nhigh = 12\ninteger = true\n'
    )
    assert main(["sweep", str(f), "--workers", "1", "--quiet", "--results", str(tmp_path / "r")]) == 0
    (folder,) = (tmp_path / "r").iterdir()
    page = html.unescape((folder / "report.html").read_text())
    assert page.index("Sobol indices (95% bootstrap half-widths)") < page.index("Mean KPIs per design point")
