"""``collectsim.gym``: a run of a scenario as a Gymnasium episode, a contact table a step.

The environment passes Gymnasium's own checker; a seed fixes an episode; the agent's table is what
the week is simulated with; the rewards add up to the run's net recovery; money stays conserved.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import collectsim as cs
from collectsim.experiments.policies import load_policy
from collectsim.gym import CollectionsEnv, TablePolicy

ROOT = Path(__file__).resolve().parents[1]
NONE, DIGITAL, CALL, DIGITAL_CALL, LETTER = range(5)


@pytest.fixture(scope="module")
def tiny(baseline: cs.Scenario) -> cs.Scenario:
    return cs.with_overrides(baseline, {"population.accounts": 1000})


@pytest.fixture
def env(tiny: cs.Scenario) -> CollectionsEnv:
    return CollectionsEnv(tiny, check_invariants=True)


def play(env: CollectionsEnv, seed: int | None, actions) -> tuple[list[np.ndarray], list[float], list[dict]]:
    """One episode; ``actions(step)`` gives each step's action. Observations (reset's first), rewards, infos."""
    obs, info = env.reset(seed=seed)
    observations, rewards, infos = [obs], [], [info]
    done, k = False, 0
    while not done:
        obs, reward, terminated, truncated, info = env.step(actions(k))
        observations.append(obs)
        rewards.append(reward)
        infos.append(info)
        done, k = terminated or truncated, k + 1
    return observations, rewards, infos


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    """Two KPI dictionaries equal bit for bit (NaN equal to NaN)."""
    return repr(sorted(a.items())) == repr(sorted(b.items()))


def fixed(option: int, env: CollectionsEnv):
    table = np.full(env.n_cells, option)
    return lambda k: table


def test_gymnasium_checker_passes_without_warnings(env: CollectionsEnv) -> None:
    """``gymnasium.utils.env_checker.check_env`` passes, and warns of nothing (no render modes to check)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, skip_render_check=True)


def test_spaces_follow_segments_buckets_and_menu(env: CollectionsEnv) -> None:
    """One option per (segment, bucket) cell; four features a cell, four portfolio figures, a queue per team."""
    assert env.n_cells == 2 * 5
    assert list(env.action_space.nvec) == [5] * 10
    assert env.option_names == ("none", "digital", "call", "digital+call", "letter")
    assert env.observation_space.shape == (4 * 10 + 4 + 4,)
    assert env.observation_space.dtype == np.float32


def test_same_seed_same_episode_other_seed_other_episode(env: CollectionsEnv) -> None:
    """Replaying a seed with the same actions repeats every observation and reward; another seed does not."""
    rng = np.random.default_rng(5)
    actions = rng.integers(0, 5, size=(30, env.n_cells))
    first = play(env, 21, lambda k: actions[k])
    again = play(env, 21, lambda k: actions[k])
    other = play(env, 22, lambda k: actions[k])
    assert len(first[1]) == 26  # 180 days in weeks: 25 of 7 days and one of 5
    assert all(np.array_equal(a, b) for a, b in zip(first[0], again[0], strict=True))
    assert first[1] == again[1]
    assert first[1] != other[1]
    assert not np.array_equal(first[0][5], other[0][5])


def test_unseeded_resets_draw_new_episodes_from_the_environments_generator(env: CollectionsEnv) -> None:
    """Without a seed each reset draws a new simulation seed, reproducibly after a seeded reset."""
    env.reset(seed=7)
    drawn = [env.reset()[1]["seed"] for _ in range(2)]
    env.reset(seed=7)
    assert [env.reset()[1]["seed"] for _ in range(2)] == drawn
    assert len(set(drawn)) == 2 and 7 not in drawn


def test_rewards_add_up_to_the_runs_net_recovery(env: CollectionsEnv) -> None:
    """Σ reward = 100 × net_recovery ÷ opening balance, and the steps' currency figures add up to the KPIs."""
    rng = np.random.default_rng(3)
    _, rewards, infos = play(env, 4, lambda k: rng.integers(0, 5, env.n_cells))
    k = env.result().kpis
    assert sum(rewards) == pytest.approx(100 * k["net_recovery"] / k["opening_balance"], rel=1e-9)
    assert sum(i["net"] for i in infos[1:]) == pytest.approx(k["net_recovery"], rel=1e-9)
    assert sum(i["collected"] for i in infos[1:]) == pytest.approx(k["collected"], rel=1e-9)
    assert sum(i["cost"] for i in infos[1:]) == pytest.approx(k["total_cost"], rel=1e-9)
    assert k["net_recovery"] > 0 and sum(rewards) > 0


def test_a_fixed_table_episode_is_the_simulate_run_of_that_table(env: CollectionsEnv, tiny: cs.Scenario) -> None:
    """Played every step, a table gives the run ``simulate`` gives with it as the policy, KPI for KPI."""
    table = np.array([DIGITAL_CALL, CALL, LETTER, CALL, NONE, DIGITAL, CALL, CALL, DIGITAL_CALL, LETTER])
    play(env, 9, lambda k: table)
    assert same(env.result().kpis, cs.simulate(tiny, 9, policy=env.policy(table)).kpis)


def test_contact_collects_more_than_none(env: CollectionsEnv) -> None:
    """On one seed, calling everyone collects more than contacting no one, and only the chosen channels are sent."""
    _, silent, _ = play(env, 11, fixed(NONE, env))
    quiet = env.result().kpis
    _, calling, _ = play(env, 11, fixed(CALL, env))
    loud = env.result().kpis
    assert loud["collected"] > quiet["collected"] * 1.02
    assert sum(calling) > sum(silent)
    assert quiet["channel.sms.sent"] == quiet["channel.call.sent"] == quiet["channel.letter.sent"] == 0
    assert loud["channel.call.sent"] > 0 and loud["channel.late_call.sent"] > 0
    assert loud["channel.sms.sent"] == loud["channel.letter.sent"] == 0
    assert quiet["channel.legal.sent"] > 0  # legal and agency still follow the ladder


def test_an_action_acts_from_its_own_step_on(env: CollectionsEnv) -> None:
    """Switching from none to call at step 3 leaves steps 0–2 as they were and changes step 3's reward."""
    calls = np.full(env.n_cells, CALL)
    silent = np.zeros(env.n_cells, dtype=np.int64)
    _, a, _ = play(env, 5, lambda k: silent)
    _, b, _ = play(env, 5, lambda k: calls if k >= 3 else silent)
    assert a[:3] == b[:3]
    assert a[3] != b[3]


def test_queued_calls_lapse_when_the_table_stops_calling(env: CollectionsEnv, tiny: cs.Scenario) -> None:
    """Team work queued by one week's table is voided when it comes up after the cell switched to none."""
    sc = cs.with_overrides(tiny, {"teams.early_callers.headcount": 1})
    env = CollectionsEnv(sc)
    calls = np.full(env.n_cells, CALL)
    play(env, 2, lambda k: calls if k % 2 == 0 else np.zeros(env.n_cells, dtype=np.int64))
    switching = env.result().kpis["team.early_callers.voided"]
    play(env, 2, lambda k: calls)
    assert switching > env.result().kpis["team.early_callers.voided"] + 50


def test_observation_describes_the_portfolio(env: CollectionsEnv) -> None:
    """The cells' account shares add up to the in-house share; balances and time are where they should be."""
    obs, _, infos = play(env, 6, fixed(DIGITAL_CALL, env))
    cells = env.n_cells
    for o, info in zip(obs[1:-1], infos[1:-1], strict=True):
        assert o[:cells].sum() == pytest.approx(o[4 * cells + 1], abs=1e-5)
        assert o[4 * cells] == pytest.approx(info["day"] / 180)
        assert ((o >= 0) & (o <= 1)).all()
    assert obs[0][: 4 * cells].sum() == 0  # before day 0 no account of the cohort has entered
    # The cohort entered at DPD 1 on day 0: after a week (DPD 7) it is in the 8–30 bucket the next decision sees.
    week = obs[1][:cells].reshape(2, 5)
    assert week[:, 0].sum() == 0 and week[:, 1].sum() == pytest.approx(obs[1][4 * cells + 1], abs=1e-5)
    # A week in, what is still owed and what was collected make up the opening balance (nothing written off yet).
    assert 0.1 < obs[1][cells : 2 * cells].sum() < 0.9
    assert obs[1][cells : 2 * cells].sum() + obs[1][4 * cells + 2] == pytest.approx(1.0, abs=1e-4)
    assert obs[-1][4 * cells + 2] == pytest.approx(
        env.result().kpis["collected"] / env.result().kpis["opening_balance"]
    )


def test_money_is_conserved_in_an_episode(env: CollectionsEnv) -> None:
    """With random actions every step, every account balances every day (the engine's check) and at the end."""
    rng = np.random.default_rng(8)
    play(env, 13, lambda k: rng.integers(0, 5, env.n_cells))  # check_invariants=True raises on a gap
    acc = env.result().accounts
    gap = acc["opening_balance"] - acc["paid"] - acc["discount"] - acc["written_off"] - acc["sold"] - acc["outstanding"]
    assert np.abs(gap).max() < 1e-6


def test_bad_input_is_named(env: CollectionsEnv, tiny: cs.Scenario) -> None:
    """Wrong actions, a missing scenario, an unknown channel, a bad step length or call order: one clear error."""
    with pytest.raises(cs.CollectsimError, match="call reset"):
        env.step(np.zeros(env.n_cells, dtype=np.int64))
    env.reset(seed=1)
    with pytest.raises(cs.CollectsimError, match=r"expected 10 integers.*2 segments × 5 buckets"):
        env.step(np.zeros(9, dtype=np.int64))
    with pytest.raises(cs.CollectsimError, match="expected 10 integers"):
        env.step(np.zeros(env.n_cells))
    with pytest.raises(cs.CollectsimError, match=r"0 … 4 \(none, digital, call, digital\+call, letter\); got 0 … 5"):
        env.step(np.r_[np.zeros(env.n_cells - 1, dtype=np.int64), 5])
    with pytest.raises(cs.ScenarioError, match="does not exist"):
        CollectionsEnv(ROOT / "scenarios" / "no_such.toml")
    with pytest.raises(cs.CollectsimError, match=r"channel.*fax not in scenario"):
        CollectionsEnv(tiny, options={"none": (), "fax": ("fax",)})
    with pytest.raises(cs.CollectsimError, match="step_days"):
        CollectionsEnv(tiny, step_days=0)
    with pytest.raises(cs.CollectsimError, match="strictly increasing"):
        CollectionsEnv(tiny, buckets=(1, 31, 8))
    play(env, 1, fixed(NONE, env))
    with pytest.raises(cs.CollectsimError, match="episode has ended"):
        env.step(np.zeros(env.n_cells, dtype=np.int64))


def test_table_policy_checks_its_table(tiny: cs.Scenario) -> None:
    """A table of the wrong size or with an option off the menu is refused when the run starts."""
    with pytest.raises(cs.CollectsimError, match="does not fit 2 segments × 5 buckets"):
        cs.simulate(tiny, 1, policy=TablePolicy([1, 2, 3]))
    with pytest.raises(cs.CollectsimError, match="option 7 is not on the menu"):
        cs.simulate(tiny, 1, policy=TablePolicy([7] * 10))
    shaped = cs.simulate(tiny, 1, policy=TablePolicy(np.full((2, 5), CALL))).kpis
    assert same(shaped, cs.simulate(tiny, 1, policy=TablePolicy([CALL] * 10)).kpis)


def _example():
    spec = importlib.util.spec_from_file_location("gym_agent", ROOT / "examples" / "gym_agent.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gym_agent"] = module
    spec.loader.exec_module(module)
    return module


def test_example_core_learns_and_confirms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/gym_agent.py on a tiny budget: trains a table, confirms it against the ladder on fresh seeds, saves
    it as a ``--policy`` class."""
    ex = _example()
    env = ex.make_env(600)
    assert env.scenario.teams["early_callers"].headcount == 1  # 12 × 600/20,000, at least one
    train = ex.cross_entropy(env, generations=2, population=3, seeds_per_table=1, seed=3)
    assert train.table.shape == (env.n_cells,) and len(train.history) == 2 and train.episodes == 6
    assert np.allclose(train.probs.sum(axis=1), 1.0)
    comp = ex.confirm(env, train.table, 2, seed=3, training_seeds=train.seeds)
    summary = comp.summary(["net_recovery"]).set_index("policy")
    assert list(summary.index) == ["ladder", "learned"] and np.isfinite(summary.loc["learned", "diff"])
    path = ex.save_policy(tmp_path / "out", train.table, env)
    monkeypatch.chdir(tmp_path / "out")
    learned = load_policy(f"{path.stem}:Learned")
    direct = cs.simulate(env.scenario, 5, policy=env.policy(train.table)).kpis
    assert same(cs.simulate(env.scenario, 5, policy=learned).kpis, direct)
    assert "digital" in ex.table_text(env, train.table) or "call" in ex.table_text(env, train.table)


def test_without_the_extra_the_import_says_how_to_install_it() -> None:
    """With gymnasium missing, ``import collectsim.gym`` names the extra; the table policy still works."""
    code = (
        "import sys\n"
        "sys.modules['gymnasium'] = None\n"
        "from collectsim.policy.table import TablePolicy\n"
        "TablePolicy([0] * 10)\n"
        "import collectsim.gym\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert "collectsim.gym needs gymnasium: pip install 'collectsim[gym]'" in out.stderr
