"""Bad scenario files are rejected with errors that name the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

import collectsim as cs
from collectsim.errors import ScenarioError

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"

# (override, field path the error must name, a phrase the message must contain)
BAD = [
    ({"teams.early_callers.headcount": -3}, "teams.early_callers.headcount", "greater than or equal to 0"),
    ({"teams.early_callers.headcont": 3}, "teams.early_callers.headcont", "did you mean 'headcount'"),
    ({"population.segments.prime.share": 0.7}, "population.segments", "must sum to 1"),
    ({"population.segments.prime.reasons.forgetful": 0.9}, "population.segments.prime.reasons", "sum to 1"),
    ({"population.segments.prime.reasons.lazy": 0.0}, "population.segments.prime.reasons.lazy", "is not a reason"),
    ({"channels.sms.contact_prob": 1.5}, "channels.sms.contact_prob", "less than or equal to 1"),
    ({"channels.call.team": "night_shift"}, "channels.call.team", "is not a team; defined:"),
    (
        {"policy.ladders.standard.stages.0.actions.0.channel": "fax"},
        "policy.ladders.standard.stages.0.actions.0.channel",
        "is not a channel; defined:",
    ),
    ({"policy.priority": "random"}, "policy.priority", "'expected_value', 'expected_loss', 'dpd' or 'fifo'"),
    ({"reasons.forgetful.lambda_inf": -0.1}, "reasons.forgetful.lambda_inf", "greater than or equal to 0"),
    ({"population.mode": "trickle"}, "population.mode", "'cohort' or 'inflow'"),
    ({"teams.early_callers.shift": [17.0, 9.0]}, "teams.early_callers", "must be before end"),
    ({"score.auc": 0.4}, "score.auc", "greater than or equal to 0.5"),
    ({"legal.court_days": {"dist": "lognormal", "mean": 60.0}}, "legal.court_days", "missing sd"),
    ({"legal.court_days.dist": "gamma"}, "legal.court_days.dist", "'constant', 'exponential'"),
    ({"repayment.delta_11": 0.5}, "repayment", "branching ratio"),
    (
        {"policy.ladders.standard.segments": ["prime", "gold"]},
        "policy.ladders.standard.segments",
        "'gold' is not a segment",
    ),
    (
        {"policy.ladders.standard.stages.1.actions.0.start_dpd": 5},
        "policy.ladders.standard.stages.1.actions.0.start_dpd",
        "outside the stage's DPD range",
    ),
    ({"horizon.start_weekday": "monday"}, "horizon.start_weekday", "'mon'"),
    ({"teams.early_callers.headcount": "many"}, "teams.early_callers.headcount", "valid integer"),
    ({"population.mode": "inflow", "population.inflow_days": 400}, "population.inflow_days", "exceeds horizon"),
    ({"calendar.working_days": []}, "calendar.working_days", "at least one working day"),
    (
        {"population.segments.prime.entry_dpd": {"ranges": [[1, 30], [20, 59]], "shares": [0.5, 0.5]}},
        "population.segments.prime.entry_dpd",
        "overlap or are out of order",
    ),
    (
        {"population.segments.prime.entry_dpd": {"ranges": [[1, 30], [31, 59]], "shares": [0.5, 0.4]}},
        "population.segments.prime.entry_dpd",
        "shares must sum to 1",
    ),
    (
        {"population.segments.prime.entry_dpd": {"ranges": [[1, 30]], "shares": [0.5, 0.5]}},
        "population.segments.prime.entry_dpd",
        "1 ranges but 2 shares",
    ),
    (
        {"population.segments.prime.entry_dpd": {"ranges": [[1, 900]], "shares": [1.0]}},
        "population.segments.prime.entry_dpd.ranges.0.1",
        "720",
    ),
]


@pytest.mark.parametrize(("override", "path", "phrase"), BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_value_names_field(override: dict, path: str, phrase: str) -> None:
    """Each kind of bad input is an error naming its field path and the allowed values."""
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(BASELINE, override)
    hits = [msg for p, msg in info.value.problems if p == path]
    assert hits, info.value.problems
    assert any(phrase in m for m in hits), hits


def test_entry_dpd_spread_draws_within_its_ranges() -> None:
    """A segment entering over a spread of DPD draws each account's entry DPD from it; a plain day stays exact."""
    spread = {"ranges": [[1, 10], [31, 59]], "shares": [0.7, 0.3]}
    sc = cs.load_scenario(BASELINE, {"population.accounts": 4000, "population.segments.prime.entry_dpd": spread})
    acc = cs.simulate(cs.with_overrides(sc, {"horizon.days": 5}), seed=1).accounts
    prime = acc.loc[acc["segment"] == "prime", "entry_dpd"]
    assert prime.between(1, 59).all() and not prime.between(11, 30).any()
    assert prime.le(10).mean() == pytest.approx(0.7, abs=0.04)
    assert (acc.loc[acc["segment"] == "near_prime", "entry_dpd"] == 1).all()


def test_not_toml(tmp_path: Path) -> None:
    """A file that is not TOML says so."""
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        cs.load_scenario(bad)


def test_missing_section(tmp_path: Path) -> None:
    """A required table that is missing is named."""
    text = BASELINE.read_text()
    start = text.index("[chargeoff]")
    cut = text[: text.index("[reasons.forgetful]")] + text[start:]
    f = tmp_path / "noreasons.toml"
    f.write_text(cut)
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(f)
    assert ("reasons", "required field is missing") in info.value.problems


def test_scenario_is_frozen(baseline: cs.Scenario) -> None:
    """A scenario cannot be mutated; overrides make a new one."""
    with pytest.raises(Exception, match="frozen"):
        baseline.teams["early_callers"].headcount = 1
    other = cs.with_overrides(baseline, {"teams.early_callers.headcount": 1})
    assert other.teams["early_callers"].headcount == 1
    assert baseline.teams["early_callers"].headcount == 12


def test_new_channel_by_data(baseline: cs.Scenario) -> None:
    """A scenario adds a channel (social media) by data alone, and the ladder can use it."""
    sc = cs.with_overrides(
        baseline,
        {
            "population.accounts": 1000,
            "channels.social": {"cost": 0.02, "contact_prob": 0.6, "effect": 0.004},
            "policy.ladders.standard.stages.0.actions.0.channel": "social",
        },
    )
    r = cs.simulate(sc, seed=1)
    assert r.kpis["channel.social.sent"] > 0
    assert r.kpis["channel.sms.sent"] == 0


def test_every_problem_in_one_pass() -> None:
    """A bad value and a broken reference in the same file are both reported at once."""
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(
            BASELINE,
            {
                "teams.early_callers.headcount": -1,
                "channels.call.team": "nobody",
                "population.segments.prime.share": 0.9,
            },
        )
    paths = {p for p, _ in info.value.problems}
    assert {"teams.early_callers.headcount", "channels.call.team", "population.segments"} <= paths


def test_a_file_without_a_name_gets_its_file_safe_stem(tmp_path) -> None:
    """The default name comes from the file name, made file-safe: it will name a results folder."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    body = text.replace('name = "baseline"\n', "", 1)
    f = tmp_path / "my portfolio (v2).toml"
    f.write_text(body, encoding="utf-8")
    assert cs.load_scenario(f).name == "my_portfolio__v2_"


def test_entry_dpd_errors_speak_of_the_form_given() -> None:
    """A table for entry_dpd is judged as a spread only (no "should be an integer"), and a mistyped key gets
    the spread's keys as the did-you-mean."""
    bad = {"population.segments.prime.entry_dpd": {"ranges": [[1, 30]], "shres": [1.0]}}
    with pytest.raises(ScenarioError) as info:
        cs.load_scenario(BASELINE, bad)
    problems = dict(info.value.problems)
    assert "did you mean 'shares'?" in problems["population.segments.prime.entry_dpd.shres"]
    assert not any("integer" in m for m in problems.values()), problems
