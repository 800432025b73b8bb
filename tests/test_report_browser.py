"""Every kind of report, opened in a real (headless) browser at 1280 px, as an analyst would open it.

HTML assertions cannot see a broken image, a console error or a table that pushes the page
sideways; Chromium can. Skipped, with the reason, only where no Chromium is installed
(``.ci/run`` installs Debian's ``chromium`` when it can).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectsim.cli import main
from headless import Browser, find_chromium

ROOT = Path(__file__).resolve().parents[1]
SC = ROOT / "scenarios"
SMALL = ["--set", "population.accounts=500", "--set", "horizon.days=60", "--quiet"]
KINDS = ("run", "compare", "sweep", "staff", "histories")


def _command(kind: str, tmp: Path) -> list[str]:
    base = str(SC / "baseline.toml")
    out = ["--results", str(tmp / "results")]
    one, target = ["--workers", "1", *SMALL], ["--target-service", "0.9"]
    if kind == "sweep":
        f = tmp / "s.toml"
        f.write_text(
            f'scenario = "{SC / "baseline.toml"}"\ndesign = "sobol"\npoints = 4\nreplications = 1\nseed = 1\n'
            'kpis = ["recovery_rate", "net_recovery"]\n[set]\n"population.accounts" = 300\n"horizon.days" = 40\n'
            '[parameters."teams.late_callers.headcount"]\nlow = 2\nhigh = 8\ninteger = true\n'
            '[parameters."channels.sms.effect"]\nlow = 0.0\nhigh = 0.01\n'
            '[parameters."teams.early_callers.headcount"]\nlow = 4\nhigh = 12\ninteger = true\n'
            '[parameters."economy.unemployment_change_pp"]\nlow = -2.0\nhigh = 4.0\n'
        )
        return ["sweep", str(f), "--workers", "1", "--quiet", *out]
    if kind == "histories":
        from collectsim.calibration.synthetic import TrueParams, simulate_histories

        truth = TrueParams(0.01, 0.05, 0.1, 0.01, 0.05, 0.3, 2.0, 5.0, {"call": 0.02})
        a, e = simulate_histories({"all": truth}, accounts=300, seed=3)
        a.to_csv(tmp / "accounts.csv", index=False)
        e.to_csv(tmp / "events.csv", index=False)
        files = ["--accounts", str(tmp / "accounts.csv"), "--events", str(tmp / "events.csv")]
        # 20 bootstrap resamples instead of the default 100: the page checked here (figures, width, console) is the
        # same, and the fit's errors are tested in test_histories.py. Saves ~7 s of CPU.
        fit = ["--scenario", base, "--bootstrap", "20", "--out", str(tmp / "results" / "fit")]
        return ["calibrate", "histories", *files, *fit]
    return {
        "run": ["run", base, *SMALL, *out],
        "compare": ["compare", base, *(str(SC / f"{p}.toml") for p in ("soft", "risk_based")), "-n", "2", *one, *out],
        "staff": ["staff", base, "--team", "early_callers", "--headcount", "2:6:4", "-n", "2", *one, *target, *out],
    }[kind]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium on PATH (apt-get install chromium, or set $CHROMIUM): no browser check")
    b = Browser(binary)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def pages(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Each kind of report written by its command, then loaded in the browser once."""
    found = {}
    for kind in KINDS:
        tmp = tmp_path_factory.mktemp(kind)
        assert main(_command(kind, tmp)) == 0
        (folder,) = list((tmp / "results").iterdir())
        found[kind] = browser.check(folder / "report.html")
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_report_opens_cleanly_in_a_browser(pages: dict[str, dict], kind: str) -> None:
    """No console error, every figure decoded and not blank, and nothing wider than a 1280 px window."""
    page = pages[kind]
    assert page["errors"] == []
    assert page["images"], "a report without figures"
    for img in page["images"]:
        assert img["decoded"] and img["width"] > 0 and img["height"] > 0, img["alt"]
        assert img["colours"] > 1, f"figure '{img['alt']}' is a single colour"
        assert img["shown"] <= page["viewport"], img["alt"]
    assert page["scrollWidth"] <= 1280, page["overflowing"]
    assert page["overflowing"] == []
