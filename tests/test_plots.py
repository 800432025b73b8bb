"""Figures: pure functions from result tables to matplotlib Figures that render headless.

Small real results are built once for the module; every figure is checked for the basics a
reader needs (title, axis labels, a legend, renders to PNG) and for one number it must show.
"""

from __future__ import annotations

import ast
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

import collectsim as cs
from collectsim import plots
from collectsim.experiments import compare, sweep
from collectsim.experiments.design import Parameter, grid, sobol_saltelli
from collectsim.experiments.staffing import StaffingResult, size_staff
from collectsim.metrics import roll_rate_name
from collectsim.plots import run as run_plots
from collectsim.plots.experiments import _frontier

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = {"population.accounts": 1500}
TARGET = 0.8


@dataclass(frozen=True)
class Results:
    scenario: cs.Scenario
    run: cs.RunResult
    inflow: cs.Scenario
    inflow_run: cs.RunResult
    comparison: cs.Comparison
    grid: cs.ExperimentResult
    sobol: cs.ExperimentResult
    staffing: StaffingResult


@pytest.fixture(scope="module")
def res() -> Results:
    sc = cs.load_scenario(SCENARIOS / "baseline.toml", SMALL)
    soft = cs.load_scenario(SCENARIOS / "soft.toml", SMALL)
    inflow = cs.load_scenario(
        SCENARIOS / "staffing_inflow.toml", {**SMALL, "population.inflow_days": 60, "horizon.days": 120}
    )
    swept = grid(
        [
            Parameter("teams.late_callers.headcount", levels=(2, 8)),
            Parameter("teams.early_callers.headcount", levels=(3, 12)),
        ]
    )
    saltelli = sobol_saltelli(
        [
            Parameter("teams.early_callers.headcount", 1, 12, integer=True),
            Parameter("teams.late_callers.headcount", 1, 10, integer=True),
        ],
        2,
        seed=1,
    )
    return Results(
        scenario=sc,
        run=cs.simulate(sc, seed=3),
        inflow=inflow,
        inflow_run=cs.simulate(inflow, seed=3),
        comparison=compare({"baseline": sc, "soft": soft}, 3, seed=1),
        grid=sweep(sc, swept, 1, seed=1),
        sobol=sweep(sc, saltelli, 1, seed=1, sobol_kpis=("net_recovery", "total_cost")),
        staffing=size_staff(sc, "early_callers", [2, 6, 10], 2, seed=1, target_service=TARGET),
    )


def _points(r: Results) -> pd.DataFrame:
    return r.comparison.table.groupby("policy", sort=False)[["total_cost", "collected"]].mean().reset_index()


BUILDERS = {
    "liquidation_curves": lambda r: plots.liquidation_curves(r.comparison.table),
    "money_waterfall": lambda r: plots.money_waterfall(r.run.kpis, r.run.costs, r.scenario.currency),
    "roll_rate_matrix": lambda r: plots.roll_rate_matrix(r.run.accounts, r.scenario.horizon.days),
    "daily_overview": lambda r: plots.daily_overview(r.run.daily, r.scenario.currency),
    "team_load": lambda r: plots.team_load(r.inflow_run.daily, r.inflow_run.teams),
    "cost_vs_recovery": lambda r: plots.cost_vs_recovery(_points(r), "policy", r.scenario.currency),
    "paired_differences": lambda r: plots.paired_differences(r.comparison.summary(), "baseline"),
    "npv_by_policy": lambda r: plots.npv_by_policy(r.comparison.summary(), r.scenario.currency),
    "staffing_curve": lambda r: plots.staffing_curve(
        r.staffing.summary, "early_callers", r.staffing.best_net, r.staffing.target_service, r.scenario.currency
    ),
    "sweep_responses": lambda r: plots.sweep_responses(
        r.grid.table, r.grid.parameters, ["recovery_rate", "net_recovery"]
    ),
    "sobol_bars": lambda r: plots.sobol_bars(r.sobol.sobol),
    "account_journeys": lambda r: plots.account_journeys(r.inflow_run.accounts, r.inflow.horizon.days),
    "calibration_fit": lambda r: plots.calibration_fit(_fit_table(r)),
    "history_curves": lambda r: plots.history_curves(_history_curves(), _holdout()),
    "holdout_backtest": lambda r: plots.holdout_backtest(_holdout()),
    "optimisation_history": lambda r: plots.optimisation_history(_trials(), "npv", 1, 1000.0, 6, "USD"),
    "parameter_importances": lambda r: plots.parameter_importances(
        pd.DataFrame({"objective": "npv", "parameter": ["a.b", "c.d"], "importance": [0.7, 0.3]})
    ),
    "pareto_front": lambda r: plots.pareto_front(
        _trials(), ["npv", "complaints_per_1000"], [1, -1], [3, 5], [1000.0, 3.0], "USD"
    ),
    "confirmed_gains": lambda r: plots.confirmed_gains(
        pd.DataFrame(
            {
                "candidate": "best",
                "kpi": ["npv", "collected"],
                "search_gain_pct": [0.02, 0.015],
                "confirmed_gain_pct": [0.012, 0.01],
                "confirmed_half_width": [5.0, 6.0],
                "confirmed_champion": [1000.0, 1200.0],
            }
        )
    ),
}


def _trials() -> pd.DataFrame:
    """An optimisation's trials table: stage-1 and fully replicated trials, one infeasible."""
    return pd.DataFrame(
        {
            "trial": range(6),
            "state": "COMPLETE",
            "replications": [6, 2, 2, 6, 2, 6],
            "feasible": [True, True, True, True, True, False],
            "npv": [1000.0, 950.0, 990.0, 1020.0, 970.0, 1030.0],
            "complaints_per_1000": [3.0, 2.0, 4.0, 2.5, 3.5, 9.0],
        }
    )


def _history_curves() -> pd.DataFrame:
    """Observed and fitted curves of two segments, as ``HistoryFit.curves`` holds them."""
    day = np.arange(1.0, 61.0)
    rows = []
    for seg, rate in (("prime", 0.05), ("near_prime", 0.02)):
        fitted = 1 - np.exp(-rate * day)
        rows.append(
            pd.DataFrame(
                {
                    "segment": seg,
                    "day": day,
                    "first_payment_observed": fitted + 0.01,
                    "first_payment_fitted": fitted,
                    "liquidation_observed": 0.6 * fitted,
                    "liquidation_fitted": 0.6 * fitted - 0.01,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _holdout() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["prime", "near_prime"],
            "observed": [0.30, 0.12],
            "predicted": [0.28, 0.13],
            "predicted_low": [0.25, 0.10],
            "predicted_high": [0.31, 0.16],
            "error": [-0.02, 0.01],
        }
    )


def _fit_table(r: Results) -> pd.DataFrame:
    """A calibration table around one run's KPIs: one target met, one missed, one without an interval."""
    k = r.run.kpis
    return pd.DataFrame(
        {
            "kpi": ["recovery_rate", "cure_rate_dpd30", "collected"],
            "target": [k["recovery_rate"] + 0.004, k["cure_rate_dpd30"] + 0.05, k["collected"]],
            "tolerance": [0.01, 0.01, 1000.0],
            "model": [k["recovery_rate"], k["cure_rate_dpd30"], k["collected"]],
            "half_width": [0.003, 0.004, float("nan")],
            "within_tolerance": [True, False, True],
        }
    )


@pytest.fixture(scope="module")
def figs(res: Results) -> dict[str, Figure]:
    return {name: build(res) for name, build in BUILDERS.items()}


def _data_axes(fig: Figure) -> list:
    """Axes that draw data (colorbars excluded)."""
    return [
        ax
        for ax in fig.axes
        if ax.get_label() != "<colorbar>" and (ax.lines or ax.patches or ax.collections or ax.images)
    ]


def _by_gid(fig: Figure, gid: str) -> list:
    """Artists tagged ``gid`` (a bar call tags each of its rectangles)."""
    return list(fig.findobj(lambda a: a.get_gid() == gid))


def _upper_edge(poly) -> pd.Series:
    """Top of a filled area, per x."""
    v = np.concatenate([p.vertices for p in poly.get_paths()])
    return pd.DataFrame(v, columns=["x", "y"]).groupby("x")["y"].max()


# --- every figure -----------------------------------------------------------------------------


def test_every_public_function_is_covered() -> None:
    assert set(plots.__all__) == set(BUILDERS)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_figure_renders_to_png(figs: dict[str, Figure], name: str) -> None:
    fig = figs[name]
    assert isinstance(fig, Figure)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_figure_has_titles_labels_and_legend(figs: dict[str, Figure], name: str) -> None:
    fig = figs[name]
    axes = _data_axes(fig)
    assert axes, "no axes with data"
    suptitle = fig.get_suptitle()
    for ax in axes:
        assert ax.get_title() or suptitle, f"{name}: an axes has no title"
        assert ax.get_xlabel().strip(), f"{name}: an axes has no x label"
        assert ax.get_ylabel().strip(), f"{name}: an axes has no y label"
    assert fig.legends or any(ax.get_legend() is not None for ax in fig.axes), f"{name}: no legend"


def test_module_never_touches_pyplot_or_the_simulator() -> None:
    """Figures come from tables alone: no pyplot global state, nothing that runs a simulation."""
    tree = ast.parse(Path(plots.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    assert not {m for m in imported if "pyplot" in m or m.startswith("collectsim.engine")}
    assert not {m for m in imported if m.rsplit(".", 1)[-1] in ("simulate", "compare", "sweep", "size_staff")}


def test_figures_draw_in_worker_threads(res: Results) -> None:
    """No shared global state: figures build and render concurrently off the main thread."""

    def draw(name: str) -> int:
        buf = io.BytesIO()
        BUILDERS[name](res).savefig(buf, format="png", dpi=40)
        return len(buf.getvalue())

    with ThreadPoolExecutor(max_workers=3) as pool:
        sizes = list(pool.map(draw, ["liquidation_curves", "money_waterfall", "account_journeys"]))
    assert all(s > 0 for s in sizes)


# --- the numbers each figure shows ------------------------------------------------------------


def test_calibration_fit_shows_target_model_and_verdict(res: Results, figs: dict[str, Figure]) -> None:
    fig, table = figs["calibration_fit"], _fit_table(res)
    for row in table.itertuples():
        (target,) = _by_gid(fig, f"target:{row.kpi}")
        assert target.get_ydata()[0] == pytest.approx(row.target)
        model = _by_gid(fig, f"model:{row.kpi}")[0]
        line = model.lines[0] if hasattr(model, "lines") else model
        assert line.get_ydata()[0] == pytest.approx(row.model)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "within tolerance" in titles[0] and "off by 5.0 tolerances" in titles[1]
    assert fig.get_suptitle().startswith("Calibration: 2 of 3 targets")


def test_liquidation_line_ends_at_mean_of_last_column(res: Results, figs: dict[str, Figure]) -> None:
    table = res.comparison.table
    last = max(c for c in table.columns if c.startswith("liquidation_d"))
    for policy, sub in table.groupby("policy"):
        (line,) = _by_gid(figs["liquidation_curves"], f"liquidation:{policy}")
        assert line.get_ydata()[-1] == pytest.approx(sub[last].mean())
        assert line.get_xdata()[-1] == int(last.removeprefix("liquidation_d"))


def test_liquidation_without_group_or_with_one_row_draws_one_line(res: Results) -> None:
    table = res.comparison.table
    pooled = plots.liquidation_curves(table, group=None)
    (line,) = [ln for ln in pooled.axes[0].lines if ln.get_gid()]
    assert line.get_ydata()[0] == pytest.approx(table["liquidation_d010"].mean())
    single = plots.liquidation_curves(pd.DataFrame([res.run.kpis]), group=None)
    assert len([ln for ln in single.axes[0].lines if ln.get_gid()]) == 1
    assert not single.axes[0].collections  # one row: no interval band
    with pytest.raises(ValueError, match="liquidation"):
        plots.liquidation_curves(table.drop(columns=[c for c in table if c.startswith("liquidation_d")]))


def test_waterfall_bars_add_up_to_the_opening_balance(res: Results, figs: dict[str, Figure]) -> None:
    fig, kpis = figs["money_waterfall"], res.run.kpis
    paid = [_by_gid(fig, f"waterfall:{k}") for k in ("collected_in_house", "agency_collected", "legal_collected")]
    parts = [p for found in paid for p in found]
    parts += [_by_gid(fig, f"waterfall:{k}")[0] for k in ("discount", "written_off", "outstanding")]
    assert sum(p.get_height() for p in parts) == pytest.approx(kpis["opening_balance"])
    assert sum(p[0].get_height() for p in paid if p) == pytest.approx(kpis["collected"])
    assert paid[1][0].get_height() == pytest.approx(kpis["agency_collected"])  # the agency's share is drawn apart
    assert kpis["written_off"] > 0  # the horizon reaches DPD 180, so the step is really drawn
    costs = [p for p in fig.findobj() if str(p.get_gid()).startswith("cost:")]
    assert sum(p.get_height() for p in costs) == pytest.approx(res.run.costs["cost"].sum())
    (net,) = _by_gid(fig, "costs:net")
    assert net.get_height() == pytest.approx(kpis["net_recovery"])


def test_waterfall_draws_cured_balances_as_performing() -> None:
    """With statements a cure leaves a balance: drawn apart from what is still in collection, and the bars add up."""
    sc = cs.load_scenario(SCENARIOS / "baseline.toml", overrides={"population.accounts": 1500})
    raw = sc.model_dump(mode="json")
    raw["product"] = {"kind": "revolving"}
    run = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1)
    k = run.kpis
    fig = plots.money_waterfall(k, run.costs, sc.currency)
    names = ("collected_in_house", "agency_collected", "legal_collected", "discount", "written_off", "outstanding")
    parts = [p for n in (*names, "performing_balance") for p in _by_gid(fig, f"waterfall:{n}")]
    assert sum(p.get_height() for p in parts) == pytest.approx(k["owed"])
    (perf,) = _by_gid(fig, "waterfall:performing_balance")
    assert perf.get_height() == pytest.approx(k["performing_balance"]) and k["performing_balance"] > 0
    assert _by_gid(fig, "waterfall:outstanding")[0].get_height() < k["outstanding"] - k["performing_balance"] / 2


def test_roll_matrix_with_statements_agrees_with_the_roll_kpis() -> None:
    """With statements the heatmap reads contractual DPD: its 'rolled' column is the roll-rate KPI."""
    sc = cs.load_scenario(SCENARIOS / "card_statements.toml", {"population.accounts": 1500})
    run = cs.simulate(sc, seed=1)
    matrix, counts = run_plots._contractual_roll_matrix(run.accounts, sc.horizon.days)
    for b, name in enumerate(("roll_rate_1_30", "roll_rate_30_60", "roll_rate_60_90")):
        assert matrix[b, 2] == pytest.approx(run.kpis[name])
    assert np.nansum(matrix[counts > 0], axis=1) == pytest.approx(1.0)
    fig = plots.roll_rate_matrix(run.accounts, sc.horizon.days)
    assert "contractual" in fig.axes[0].get_title()


def test_waterfall_and_journeys_show_the_debt_sale(res: Results) -> None:
    """With a sale the waterfall has a 'sold' step and still adds up; journeys move sold accounts out of written off."""
    sc = cs.with_overrides(res.scenario, {"chargeoff.dpd": 140, "agency.placement_days": 30, "debt_sale.price": 0.12})
    run = cs.simulate(sc, seed=3)
    k = run.kpis
    assert k["accounts_sold"] > 0
    fig = plots.money_waterfall(k, run.costs, sc.currency)
    paid = ("collected_in_house", "agency_collected", "legal_collected")
    names = (*paid, "discount", "written_off", "sold", "outstanding")
    parts = [p for n in names for p in _by_gid(fig, f"waterfall:{n}")]
    assert sum(p.get_height() for p in parts) == pytest.approx(k["opening_balance"])
    assert _by_gid(fig, "waterfall:sold")[0].get_height() == pytest.approx(k["debt_sold"])
    assert not _by_gid(fig, "waterfall:unreconciled")
    (proceeds,) = _by_gid(fig, "costs:sale")
    assert proceeds.get_height() == pytest.approx(k["sale_proceeds"])
    (net,) = _by_gid(fig, "costs:net")
    assert net.get_height() == pytest.approx(k["collected"] + k["sale_proceeds"] - k["total_cost"])
    horizon = sc.horizon.days
    jf = plots.account_journeys(run.accounts, horizon)
    sold = run.accounts["status"] == "sold"
    top_sold = _upper_edge(_by_gid(jf, "journey:sold")[0]).reindex(range(horizon))
    below = _upper_edge(_by_gid(jf, "journey:recovered after write-off")[0]).reindex(range(horizon))
    assert top_sold.iloc[-1] - below.iloc[-1] == sold.sum()
    assert np.array_equal(
        (_upper_edge(_by_gid(jf, "journey:active")[0]) - _upper_edge(_by_gid(jf, "journey:sold")[0])).reindex(
            range(horizon)
        ),
        run.daily["active"],
    )


def test_roll_rate_rows_sum_to_one_and_match_the_kpis(res: Results, figs: dict[str, Figure]) -> None:
    fig = figs["roll_rate_matrix"]
    (image,) = _by_gid(fig, "roll:matrix")
    m = np.ma.filled(image.get_array().astype(float), np.nan)
    assert m.shape == (6, 4)
    np.testing.assert_allclose(np.nansum(m, axis=1), 1.0)
    # Baseline: one cohort at DPD 1 over 180 days, so every bucket is observable and the
    # "rolled" share equals the roll-rate KPI.
    for b in range(1, 6):
        assert m[b - 1, 2] == pytest.approx(res.run.kpis[roll_rate_name(b)])
    assert np.isnan(m[:5, 3]).all() and np.isnan(m[5, 2])
    bars = _by_gid(fig, "roll:cure")
    np.testing.assert_allclose([p.get_height() for p in bars], m[:, 0])
    assert m[0, 0] == pytest.approx(res.run.kpis["cure_rate_dpd30"])


def test_roll_rate_leaves_unobservable_buckets_empty(res: Results) -> None:
    """At 120 days a DPD-1 cohort is never seen past DPD 120: B5 and B6 have no accounts."""
    fig = plots.roll_rate_matrix(res.run.accounts, 120)
    m = np.ma.filled(_by_gid(fig, "roll:matrix")[0].get_array().astype(float), np.nan)
    assert np.isnan(m[4:]).all()
    np.testing.assert_allclose(np.nansum(m[:4], axis=1), 1.0)


def test_daily_overview_plots_the_daily_table(res: Results, figs: dict[str, Figure]) -> None:
    fig, daily = figs["daily_overview"], res.run.daily
    (outstanding,) = _by_gid(fig, "daily:outstanding")
    np.testing.assert_allclose(outstanding.get_ydata(), daily["outstanding"])
    (active,) = _by_gid(fig, "daily:active")
    np.testing.assert_array_equal(active.get_ydata(), daily["active"])
    (collected,) = _by_gid(fig, "daily:col")  # one stepped area, one step per day
    np.testing.assert_allclose(collected.get_data().values, daily["collected"])
    np.testing.assert_allclose(collected.get_data().edges, np.append(daily["day"] - 0.5, daily["day"].iloc[-1] + 0.5))


def test_team_load_bars_are_the_utilisation(res: Results, figs: dict[str, Figure]) -> None:
    fig, teams, daily = figs["team_load"], res.inflow_run.teams, res.inflow_run.daily
    bars = _by_gid(fig, "team:utilisation")
    np.testing.assert_allclose([p.get_width() for p in bars], teams["utilisation"])
    for team in teams["team"]:
        (line,) = _by_gid(fig, f"queue:{team}")
        np.testing.assert_allclose(line.get_ydata(), daily[f"queue_{team}"])


def test_efficient_frontier_excludes_a_dominated_point(res: Results) -> None:
    points = _points(res)
    worse = {
        "policy": "worse",
        "total_cost": points["total_cost"].max() + 1,
        "collected": points["collected"].min() - 1,
    }
    best = points.loc[points["collected"].idxmax()]  # nothing collects more: on the frontier
    twin = best.to_frame().T.assign(policy="twin")  # an equal point: neither dominates the other
    fig = plots.cost_vs_recovery(pd.concat([points, pd.DataFrame([worse]), twin]), "policy", "USD")
    (frontier,) = _by_gid(fig, "frontier")
    xy = list(zip(frontier.get_xdata(), frontier.get_ydata(), strict=True))
    assert (worse["total_cost"], worse["collected"]) not in xy
    assert xy.count((best["total_cost"], best["collected"])) == 2
    assert np.all(np.diff(frontier.get_xdata()) >= 0) and np.all(np.diff(frontier.get_ydata()) >= 0)
    (dominated,) = _by_gid(fig, "scatter:dominated")
    assert [worse["total_cost"], worse["collected"]] in np.asarray(dominated.get_offsets()).tolist()
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"baseline", "soft", "worse", "twin"} <= labels


def test_paired_difference_is_shown_relative_to_the_champion(res: Results, figs: dict[str, Figure]) -> None:
    s = res.comparison.summary().set_index(["kpi", "policy"])
    fig = figs["paired_differences"]
    for kpi in ("recovery_rate", "total_cost"):
        lines = [a for a in _by_gid(fig, f"diff:{kpi}:soft") if hasattr(a, "get_xdata")]
        expected = s.loc[(kpi, "soft"), "diff"] / abs(s.loc[(kpi, "baseline"), "mean"])
        assert lines[0].get_xdata()[0] == pytest.approx(expected)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert f"P(better) {s.loc[('total_cost', 'soft'), 'p_better']:.0%}" in texts
    for kpi in ("complaints_per_1000", "roll_rate_30_60"):  # conduct and the roll weigh in the choice too
        assert _by_gid(fig, f"diff:{kpi}:soft"), kpi
    with pytest.raises(ValueError, match="champion"):
        plots.paired_differences(res.comparison.summary(), "nobody")


def test_staffing_curve_marks_choice_and_target(res: Results, figs: dict[str, Figure]) -> None:
    fig, st = figs["staffing_curve"], res.staffing
    (net,) = _by_gid(fig, "staff:net")
    np.testing.assert_allclose(net.get_ydata(), st.summary["net_recovery"])
    np.testing.assert_array_equal(net.get_xdata(), st.summary["headcount"])
    (service,) = _by_gid(fig, "staff:service")
    np.testing.assert_allclose(service.get_ydata(), st.summary["service_level"])
    (chosen,) = _by_gid(fig, "staff:chosen")
    assert chosen.get_xdata()[0] == st.best_net
    (target,) = _by_gid(fig, "target")
    assert target.get_ydata()[0] == TARGET
    untargeted = plots.staffing_curve(st.summary, "early_callers", 6, None, "USD")
    assert not _by_gid(untargeted, "target")
    both = plots.staffing_curve(st.summary, "early_callers", 2, TARGET, "USD", meeting=6)
    (meeting,) = _by_gid(both, "staff:meeting")
    assert meeting.get_xdata()[0] == 6


def test_sweep_means_per_level(res: Results, figs: dict[str, Figure]) -> None:
    table, fig = res.grid.table, figs["sweep_responses"]
    for param in res.grid.parameters:
        (line,) = _by_gid(fig, f"means:net_recovery:{param}")
        expected = table.groupby(param)["net_recovery"].mean()
        np.testing.assert_array_equal(line.get_xdata(), expected.index)
        np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
        (runs,) = _by_gid(fig, f"runs:net_recovery:{param}")
        assert len(runs.get_offsets()) == len(table)


def test_sweep_on_a_sampled_design_averages_per_point(res: Results) -> None:
    table = res.sobol.table
    param = res.sobol.parameters[0]
    fig = plots.sweep_responses(table, res.sobol.parameters, ["total_cost"])
    (means,) = _by_gid(fig, f"means:total_cost:{param}")
    per_point = table.groupby("point")[[param, "total_cost"]].mean()
    np.testing.assert_allclose(means.get_xdata(), per_point[param])
    np.testing.assert_allclose(means.get_ydata(), per_point["total_cost"])
    assert means.get_linestyle() == "None"  # sampled points are not joined
    assert means.axes.get_ylabel() == "total cost (currency units)"  # no currency given: none is made up
    labelled = plots.sweep_responses(table, res.sobol.parameters, ["total_cost"], "EUR")
    assert labelled.axes[0].get_ylabel() == "total cost (EUR)"  # a report labels money in the scenario's currency


def test_sobol_bars_show_the_indices(res: Results, figs: dict[str, Figure]) -> None:
    sobol, fig = res.sobol.sobol, figs["sobol_bars"]
    assert len(_data_axes(fig)) == sobol["kpi"].nunique()
    for kpi, sub in sobol.groupby("kpi"):
        for index in ("S1", "ST"):
            bars = _by_gid(fig, f"{index}:{kpi}")
            np.testing.assert_allclose([p.get_width() for p in bars], sub[index])


@pytest.mark.parametrize("which", ["baseline", "inflow"])
def test_account_journeys_stack_to_every_account(res: Results, which: str) -> None:
    run, horizon = (res.run, 180) if which == "baseline" else (res.inflow_run, res.inflow.horizon.days)
    fig = plots.account_journeys(run.accounts, horizon)
    names = ["cured", "settled", "written off", "recovered after write-off", "active", "not yet entered"]
    tops = {k: _upper_edge(_by_gid(fig, f"journey:{k}")[0]).reindex(range(horizon)) for k in names}
    np.testing.assert_array_equal(tops["not yet entered"], len(run.accounts))
    # The active band is the number of open accounts the engine reported each day.
    np.testing.assert_array_equal(tops["active"] - tops["recovered after write-off"], run.daily["active"])
    if which == "inflow":
        assert (tops["not yet entered"] - tops["active"]).iloc[0] > 0  # the inflow has not all arrived on day 0


def test_npv_bars_stack_to_the_mean_npv(res: Results, figs: dict[str, Figure]) -> None:
    """Each policy's bar is its NPV: net cash within the horizon plus the discounted value after it."""
    s = res.comparison.summary().set_index(["kpi", "policy"])
    ax = figs["npv_by_policy"].axes[0]
    within = [p for p in ax.patches if p.get_gid() == "npv:within"]
    assert len(within) == 2
    for bar, policy in zip(within, ["baseline", "soft"], strict=True):
        later = float(s.loc[("npv_after_horizon", policy), "mean"])
        assert bar.get_height() + later == pytest.approx(float(s.loc[("npv", policy), "mean"]), rel=1e-9)
        assert later > 0


def _npv_summary(policies: list[str]) -> pd.DataFrame:
    """A compare summary with the two NPV KPIs, at the sizes of a 2,000-account trial (the last policy is best)."""
    rows = []
    for i, policy in enumerate(policies):
        npv = 1_376_863.0 + 190_968.0 * i
        rows.append({"kpi": "npv", "policy": policy, "mean": npv, "half_width": 128_471.0})
        rows.append({"kpi": "npv_after_horizon", "policy": policy, "mean": 0.02 * npv, "half_width": 900.0})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "policies", [["baseline"], ["baseline", "soft"], ["baseline", "soft", "risk_based"], [f"p{i}" for i in range(6)]]
)
def test_npv_title_fits_and_legend_covers_no_data(policies: list[str]) -> None:
    """The NPV chart's title lies inside the figure, and its legend covers no bar, whisker or value label."""
    fig = plots.npv_by_policy(_npv_summary(policies), "USD")
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)  # the constrained layout is computed at draw time
    (ax,) = fig.axes
    whole = fig.bbox
    title = ax.title.get_window_extent(renderer)
    assert whole.x0 <= title.x0 and title.x1 <= whole.x1 and title.y1 <= whole.y1, "title clipped"
    legends = [*fig.legends, *([ax.get_legend()] if ax.get_legend() else [])]
    assert legends
    # Bars, value labels, whisker caps; the whiskers' LineCollection has no window extent, so its segments.
    data = [a.get_window_extent(renderer) for a in (*ax.patches, *ax.texts, *ax.lines)]
    data += [Bbox(ax.transData.transform(seg)) for c in ax.collections for seg in c.get_segments()]
    assert len(data) == 4 * len(policies) + 2  # two bars, a label and a whisker a policy; top and bottom caps
    for legend in legends:
        box = legend.get_window_extent(renderer)
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1 and whole.y0 <= box.y0 and box.y1 <= whole.y1
        covered = [d for d in data if box.overlaps(d)]
        assert not covered, f"legend at {box.extents} covers {[d.extents for d in covered]}"


def test_paired_differences_give_each_kind_of_kpi_its_own_scale(res: Results) -> None:
    """A KPI moving +105% squeezes only its own panel: money, rates and activity each have their own x range,
    and a KPI with no better side says so instead of printing P(larger)."""
    summary = res.comparison.summary()
    contacts = summary["kpi"].eq("contacts_per_account")
    base = float(summary.loc[contacts & summary["policy"].eq("baseline"), "mean"].iloc[0])
    summary.loc[contacts & summary["policy"].eq("soft"), "diff"] = 1.05 * base
    fig = plots.paired_differences(summary, "baseline")
    panels = {ax.get_title(loc="left"): ax for ax in _data_axes(fig)}
    assert set(panels) == {"Money", "Rates and shares", "Activity and time"}
    rates, activity = panels["Rates and shares"], panels["Activity and time"]
    assert rates.get_xlim()[1] < 1.05 < activity.get_xlim()[1]
    assert "no better side" in [t.get_text() for t in activity.texts]
    assert not any(t.get_text().startswith("P(larger)") for ax in fig.axes for t in ax.texts)


def test_cost_chart_draws_no_frontier_for_one_undominated_point_and_names_only_notable_points(res: Results) -> None:
    """One point dominating the rest is no frontier (no line, no legend entry); among many points only the
    frontier and the best net recovery are labelled."""
    dominant = pd.DataFrame({"policy": ["a", "b", "c"], "total_cost": [1.0, 2.0, 3.0], "collected": [9.0, 8.0, 7.0]})
    fig = plots.cost_vs_recovery(dominant, "policy", "USD")
    assert not _by_gid(fig, "frontier")
    assert "efficient frontier" not in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    rng = np.random.default_rng(1)
    many = pd.DataFrame({"point": range(96), "total_cost": rng.uniform(1, 2, 96), "collected": rng.uniform(3, 4, 96)})
    fig = plots.cost_vs_recovery(many, "point", "USD")
    named = {int(t.get_text()) for t in fig.axes[0].texts}
    front = set(np.flatnonzero(_frontier(many["total_cost"].to_numpy(), many["collected"].to_numpy())))
    assert front <= named and len(named) <= len(front) + 1 < 96


def test_journeys_show_the_last_day_as_a_labelled_bar(res: Results) -> None:
    """States reached near the horizon get a readable block: the last day's bar stacks every account."""
    run = res.run
    fig = plots.account_journeys(run.accounts, 180)
    heights = {
        name: _by_gid(fig, f"journey_end:{name}")[0].get_height()
        for name in ("cured", "written off", "active", "not yet entered")
    }
    status = run.accounts["status"]
    assert heights["cured"] == (status == "cured").sum()
    assert heights["written off"] == status.isin(["written_off"]).sum()


def test_single_run_liquidation_is_not_captioned_as_a_mean(res: Results) -> None:
    """One run is titled as one run; replications by their number."""
    one = plots.liquidation_curves(pd.DataFrame([res.run.kpis]), group=None)
    assert "one run" in one.axes[0].get_title() and "mean" not in one.axes[0].get_title()
    many = plots.liquidation_curves(res.comparison.table)
    assert "mean over 3 replications" in many.axes[0].get_title()


def test_sobol_bars_carry_the_bootstrap_intervals(res: Results, figs: dict[str, Figure]) -> None:
    """Each Sobol' bar has its 95% interval whisker, from SALib's S1_conf and ST_conf."""
    sobol, fig = res.sobol.sobol, figs["sobol_bars"]
    assert {"S1_conf", "ST_conf"} <= set(sobol.columns)
    whiskers = [c for ax in fig.axes for c in ax.collections if type(c).__name__ == "LineCollection"]
    assert len(whiskers) == 2 * sobol["kpi"].nunique()


def test_importance_labels_name_the_searched_field_and_history_ticks_whole_trials() -> None:
    """Importance bars name each field so two are never confused ('4.score_max' and '2.score_max' were), the
    ladder only when the space spans two; the history's trial axis has whole-number ticks."""
    paths = [
        "policy.ladders.standard.stages.1.actions.4.score_max",
        "policy.ladders.standard.stages.0.actions.2",
        "teams.late_callers.headcount",
    ]
    imp = pd.DataFrame({"objective": "npv", "parameter": paths, "importance": [0.5, 0.3, 0.2]})
    fig = plots.parameter_importances(imp)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["stages[1].actions[4].score_max", "stages[0].actions[2]", "late_callers.headcount"]
    two = imp.assign(parameter=[paths[0], "policy.ladders.gentle.stages.1.actions.4.score_max", paths[2]])
    labels = [t.get_text() for t in plots.parameter_importances(two).axes[0].get_yticklabels()]
    assert labels[:2] == ["standard.stages[1].actions[4].score_max", "gentle.stages[1].actions[4].score_max"]
    n = 20  # matplotlib's own choice for 0..19 is 0, 2.5, 5, ...
    many = pd.DataFrame(
        {"trial": range(n), "state": "COMPLETE", "replications": 2, "feasible": True, "npv": np.linspace(900, 1100, n)}
    )
    history = plots.optimisation_history(many, "npv", 1, 1000.0, 6, "USD")
    ticks = history.axes[0].get_xticks()
    assert len(ticks) and all(float(x).is_integer() for x in ticks)
