"""Research policies in compare: an object or a MODULE:CLASS name, fresh for every run, in the API and the CLI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import collectsim as cs
from collectsim.errors import CollectsimError
from collectsim.policy import ActionPlan, Dispatch

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"population.accounts": 400, "horizon.days": 40}


class EverySecondDaySms:
    """A stateful research policy: it alternates by counting its own decisions since reset."""

    def __init__(self) -> None:
        self.days = 0

    def reset(self, ctx) -> None:
        self.days = 0

    def decide(self, day, view) -> ActionPlan:
        self.days += 1
        idx = np.flatnonzero(view.in_house) if self.days % 2 else np.empty(0, dtype=np.int64)
        return ActionPlan([Dispatch("sms", idx, "sms_every_second_day")])


@pytest.fixture(scope="module")
def baseline() -> cs.Scenario:
    return cs.load_scenario(ROOT / "scenarios" / "baseline.toml", SMALL)


def test_an_object_and_its_name_give_the_same_paired_runs(baseline: cs.Scenario) -> None:
    entries = {"ladder": baseline, "by_object": baseline, "by_name": baseline}
    policies = {"by_object": EverySecondDaySms(), "by_name": "test_research_policies:EverySecondDaySms"}
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        t = cs.compare(entries, 2, seed=3, policies=policies).table
    finally:
        sys.path.remove(str(Path(__file__).parent))
    by = {p: g.drop(columns="policy").reset_index(drop=True) for p, g in t.groupby("policy")}
    assert by["by_object"].equals(by["by_name"])
    assert not by["by_object"]["collected"].equals(by["ladder"]["collected"])


def test_compare_refuses_policies_for_unknown_entries_and_with_in_run(baseline: cs.Scenario) -> None:
    with pytest.raises(CollectsimError, match="not among the compared entries"):
        cs.compare({"a": baseline, "b": baseline}, 2, seed=1, policies={"c": EverySecondDaySms()})
    with pytest.raises(CollectsimError, match="cannot take a research policy"):
        cs.compare({"a": baseline, "b": baseline}, 2, seed=1, policies={"b": EverySecondDaySms()}, in_run_share=0.2)


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "collectsim", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_compares_a_policy_from_the_users_own_module_on_worker_processes(tmp_path: Path, cli) -> None:
    (tmp_path / "mypolicies.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from collectsim.policy import ActionPlan, Dispatch

            class SmsOnly:
                def reset(self, ctx):
                    pass

                def decide(self, day, view):
                    return ActionPlan([Dispatch("sms", np.flatnonzero(view.in_house), "sms_daily")])
            """
        )
    )
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    sets = [f"--set={k}={v}" for k, v in SMALL.items()]
    out = _cli(
        [
            "compare",
            scenario,
            "--policy",
            "sms_only=mypolicies:SmsOnly",
            "-n",
            "2",
            "--workers",
            "2",
            "--results",
            str(tmp_path / "res"),
            "--no-report",
            "--quiet",
            *sets,
        ],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "Δ sms_only − champion" in out.stdout
    (folder,) = (tmp_path / "res").glob("compare-baseline-sms_only-*")
    report = cli(["report", str(folder)], tmp_path)  # rebuilding the page needs no process of its own
    assert report.returncode == 0, report.stderr
    page = (folder / "report.html").read_text()
    assert "Research policies" in page and "mypolicies:SmsOnly" in page


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nameonly", "must be NAME=MODULE:CLASS"),
        ("x=nosuchmodule_xyz:Cls", "cannot import module"),
        ("x=collectsim.policy.cgw:NoSuchClass", "has no class"),
        ("baseline=collectsim.policy.cgw:UpliftPolicy", "already taken"),
        ("bad/name=collectsim.policy.cgw:UpliftPolicy", "must be letters, digits"),
    ],
)
def test_cli_bad_policy_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, spec: str, message: str, cli) -> None:
    scenario = str(ROOT / "scenarios" / "baseline.toml")
    out = cli(["compare", scenario, "--policy", spec, "-n", "2", "--results", str(tmp_path / "res")], tmp_path)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr
    assert not (tmp_path / "res").exists() or not any((tmp_path / "res").iterdir())


def test_sweep_and_staffing_run_a_research_policy_at_every_point(baseline: cs.Scenario) -> None:
    from collectsim.experiments import sweep
    from collectsim.experiments.design import Parameter, grid
    from collectsim.experiments.staffing import size_staff

    design = grid([Parameter("teams.early_callers.headcount", levels=(2, 6))])
    ladder = sweep(baseline, design, 1, seed=2).table
    sms = sweep(baseline, design, 1, seed=2, policy=EverySecondDaySms()).table
    assert not np.allclose(ladder["collected"], sms["collected"])
    curve = size_staff(baseline, "early_callers", [2, 6], 1, seed=2, policy=EverySecondDaySms()).table
    assert np.allclose(curve.sort_values("headcount")["collected"], sms.sort_values("point")["collected"])


def test_cli_sweep_file_and_staff_take_a_research_policy(tmp_path: Path, cli) -> None:
    scenario = ROOT / "scenarios" / "baseline.toml"
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(
        textwrap.dedent(
            f"""
            scenario = "{scenario}"
            replications = 1
            policy = "collectsim.policy.cgw:UpliftPolicy"
            kpis = ["collected"]
            [set]
            "population.accounts" = 300
            "horizon.days" = 30
            [parameters."teams.early_callers.headcount"]
            levels = [2, 4]
            """
        )
    )
    out = cli(["sweep", str(sweep_file), "--results", str(tmp_path / "r"), "--no-report", "--quiet"], tmp_path)
    assert out.returncode == 0, out.stderr
    bad = sweep_file.read_text().replace("cgw:UpliftPolicy", "cgw:Nope")
    sweep_file.write_text(bad)
    out = cli(["sweep", str(sweep_file), "--results", str(tmp_path / "r2")], tmp_path)
    assert out.returncode == 2 and "has no class" in out.stderr and not (tmp_path / "r2").exists()
    sets = [f"--set={k}={v}" for k, v in SMALL.items()]
    out = cli(
        [
            "staff",
            str(scenario),
            "--team",
            "early_callers",
            "--headcount",
            "2,4",
            "-n",
            "1",
            "--policy",
            "collectsim.policy.cgw:UpliftPolicy",
            "--results",
            str(tmp_path / "st"),
            "--no-report",
            *sets,
        ],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr


class SmsTwiceToTheFirstAccounts:
    """Names accounts 0 and 1 twice in one dispatch, unsorted, on day 0 only."""

    def reset(self, ctx) -> None:
        pass

    def decide(self, day, view) -> ActionPlan:
        idx = np.array([1, 0, 1, 0], dtype=np.int64) if day == 0 else np.empty(0, dtype=np.int64)
        return ActionPlan([Dispatch("sms", idx, "sms_twice")])


def test_an_account_named_twice_in_a_dispatch_is_sent_once(baseline: cs.Scenario) -> None:
    r = cs.simulate(
        cs.with_overrides(baseline, {"channels.sms.cost": 1.0}), seed=1, policy=SmsTwiceToTheFirstAccounts()
    )
    sms = r.costs[(r.costs["category"] == "channel") & (r.costs["item"] == "sms")]["cost"].sum()
    assert sms == pytest.approx(2.0)
