"""Self-contained HTML reports, rebuilt from a saved results folder alone.

Every results folder (run, compare, sweep, staff) can be turned into
``report.html`` plus ``figures/*.png``. The report reads only saved files — never
the simulator — so ``collectsim report <folder>`` gives the same report later, on
another machine. Figures are embedded as base64 PNG: the page opens offline.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from collectsim import readback
from collectsim.describe import scenario_in_words
from collectsim.errors import CollectsimError
from collectsim.experiments.design import sobol_trust_warning
from collectsim.experiments.staffing import inbound_erlang
from collectsim.experiments.stats import direction
from collectsim.present import (
    HEADLINE,
    fmt_diff,
    fmt_half,
    fmt_p_better,
    fmt_value,
    marginal_npv_cell,
    money_cell,
    number_or_dash,
    pct_or_na,
    setting_value,
)
from collectsim.scenario import Scenario, same_settings, scenario_from_dict
from collectsim.store.files import atomic_bytes
from collectsim.store.integrity import MANIFEST, read_manifest
from collectsim.verdict import best_headcount, smallest_meeting, staffing_verdict

TEMPLATE = "report.html.j2"  # in collectsim/templates/, shipped as package data with report.css
REPORT_FILE = "report.html"
FIG_DIR = "figures"
# Every collectsim version wrote a manifest into these; calibrate-histories folders had none before checksums.
ALWAYS_HAD_A_MANIFEST = ("run", "compare", "sweep", "staff", "optimise")


@dataclass(frozen=True)
class Table:
    """A table of text cells. The page lets its headers break after "." and "_", so dotted parameter
    paths do not widen it, and scrolls a table wider than the page inside its own box."""

    header: list[str]
    rows: list[list[str]]
    kind: str = "table"


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of sentences."""

    lines: list[str]
    kind: str = "bullets"


@dataclass
class Report:
    """A report's content, as text: the template (``templates/report.html.j2``) makes the page.

    ``lead`` (the verdict: which policy wins, what to staff) comes first, because that is what a
    reader opens the page for; ``words`` (the scenario in prose) follows, folded away; ``notes``
    are prose that qualifies the numbers (design, uncertainty) and stays open."""

    title: str
    subtitle: str
    words: dict[str, list[str]] = field(default_factory=dict)
    tables: list[tuple[str, Table | Bullets]] = field(default_factory=list)
    figures: list[tuple[str, str, object]] = field(default_factory=list)  # (file stem, caption, Figure)
    lead: list[tuple[str, Table | Bullets]] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)


def kind_of(folder: Path) -> str:
    """Which command wrote ``folder``, from the files it holds."""
    if (folder / "kpis.json").exists() and (folder / "accounts.parquet").exists():
        return "run"
    if (folder / "summary.csv").exists() and (folder / "runs.parquet").exists() and (folder / "scenarios").is_dir():
        return "compare"
    if (folder / "sweep.parquet").exists():
        return "sweep"
    if (folder / "staffing.csv").exists():
        return "staff"
    if (folder / "curves.csv").exists() and (folder / "fit.csv").exists():
        return "histories"
    if (folder / "optimise.json").exists() and (folder / "trials.csv").exists():
        return "optimise"
    if (folder / "fit.json").exists() and (folder / "fit.csv").exists() and (folder / "trace.csv").exists():
        return "targets"
    raise CollectsimError(
        f"report: '{folder}' is not a complete collectsim results folder (expected the files of "
        "a run, compare, sweep, staff, optimise, calibrate targets or calibrate histories command)"
    )


def build_report(folder: str | Path, *, warn: Callable[[str], None] | None = None) -> Path:
    """Render figures and ``report.html`` into ``folder`` from its saved tables; returns the HTML path.

    The folder's files are checked against their checksums first, so a damaged file is named in one
    line instead of giving a report from partial data; ``warn`` hears once, after success, if the
    folder has no checksums (a failure stays one line).
    """
    folder = Path(folder)
    verified = readback.open_folder(folder, command="report")
    kind = kind_of(folder)
    if not verified and kind in ALWAYS_HAD_A_MANIFEST and not (folder / MANIFEST).exists():
        raise CollectsimError(f"report: results folder '{folder}': {MANIFEST} is missing; rerun the command")
    out, figdir = folder / REPORT_FILE, folder / FIG_DIR
    _refuse_in_the_way(out, figdir)
    report = _build(folder, kind, verified)
    figdir.mkdir(exist_ok=True)
    images = []
    for stem, caption, fig in report.figures:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)  # constrained layout already fits the figure: no tight-bbox pass
        png = buf.getvalue()
        atomic_bytes(figdir / f"{stem}.png", png)
        images.append((caption, base64.b64encode(png).decode("ascii")))
    atomic_bytes(out, render_html(report, images).encode("utf-8"))
    if not verified and warn is not None:
        warn(readback.unverified_warning(folder))
    return out


def _refuse_in_the_way(out: Path, figdir: Path) -> None:
    """One line, before any figure is drawn, if something not ours sits where the report or figures go."""
    if out.is_dir():
        raise CollectsimError(f"report: '{out}' is not a file; move it away and run report again")
    if figdir.exists() and not figdir.is_dir():
        raise CollectsimError(f"report: '{figdir}' is not a folder; move it away and run report again")


def _build(folder: Path, kind: str, verified: bool) -> Report:
    """The report's content; a folder read unverified that holds unexpected tables is one line, not a traceback."""
    if verified:
        return BUILDERS[kind](folder)
    try:
        return BUILDERS[kind](folder)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise CollectsimError(
            f"report: '{folder}' holds tables collectsim cannot read ({type(exc).__name__}: {exc}); "
            "rerun the command that wrote it"
        ) from None


def _scenario(path: Path) -> Scenario:
    return scenario_from_dict(readback.toml_file(path), source=str(path))


def _manifest(folder: Path) -> dict:
    return read_manifest(folder, what="report: results folder")


def _subtitle(man: dict) -> str:
    """Version, seed, replications, wall time ("wall time 2.1 s") and when, from the manifest."""
    parts = [f"collectsim {man.get('version', '?')}"]
    if "seed" in man:
        parts.append(f"seed {man['seed']}")
    if "replications" in man:
        parts.append(f"{man['replications']} replication{'s' * (man['replications'] != 1)}")
    if isinstance(man.get("wall_time_s"), int | float):
        parts.append(f"wall time {man['wall_time_s']:,.1f} s")
    if "created" in man:
        parts.append(f"created {man['created']}")
    return " · ".join(parts)


def _bullets(lines: list[str]) -> Bullets:
    return Bullets(list(lines))


def _table(header: list[str], rows: list[list[str]]) -> Table:
    return Table(list(header), [[str(c) for c in r] for r in rows])


# --- run ---------------------------------------------------------------------------------------------------------


TEAM_FIELDS = ("team", "headcount", "on_floor", "attempts", "rpcs", "done", "voided", "utilisation", "service_level")
TEAM_FIELDS += ("backlog_mean", "overtime_minutes", "idle_cost", "cost")


def _teams(folder: Path) -> pd.DataFrame:
    """The run's teams table; a folder from before voided work and overtime were counted cannot be shown."""
    teams = readback.csv(folder / "teams.csv")
    missing = [c for c in TEAM_FIELDS if c not in teams.columns]
    if missing:
        raise CollectsimError(
            f"report: {folder / 'teams.csv'} lacks {', '.join(missing)} (written by an older collectsim); run it again"
        )
    return teams


def _team_cells(r, cur: str) -> list[str]:
    """One row of the teams table; service level is done ÷ (due − voided), utilisation busy ÷ on-floor time."""
    return [
        r.team,
        f"{r.headcount:,}",
        f"{r.on_floor:,.1f}",
        f"{r.attempts:,}",
        f"{r.rpcs:,}",
        f"{r.done:,}",
        f"{r.voided:,}",
        pct_or_na(r.utilisation),
        pct_or_na(r.service_level),
        f"{r.backlog_mean:,.0f}",
        f"{r.overtime_minutes / 60:,.1f}",
        f"{cur} {r.idle_cost:,.0f}",
        f"{cur} {r.cost:,.0f}",
    ]


def _run(folder: Path) -> Report:
    from collectsim import plots

    sc = _scenario(folder / "scenario.toml")
    kpis = readback.kpis_json(folder / "kpis.json")
    daily = readback.csv(folder / "daily.csv")
    teams = _teams(folder)
    costs = readback.csv(folder / "costs.csv")
    accounts = readback.accounts(folder / "accounts.parquet")
    cur, horizon = sc.currency, sc.horizon.days
    rep = Report(f"Run: {sc.name}", _subtitle(_manifest(folder)), scenario_in_words(sc))
    rows = [[k, fmt_value(k, kpis[k], cur)] for k in HEADLINE if k in kpis]
    rep.lead.append(("Key figures", _table(["KPI", "value"], rows)))
    if "terminal_value" in kpis:
        rep.tables.append(("Value at the horizon", _table(["", "value"], _horizon_rows(kpis, sc))))
    trows = [_team_cells(r, cur) for r in teams.itertuples()]
    rules = [k.split(".", 1)[1] for k in kpis if k.startswith("violations.")]
    if rules:
        crows = [[r, *(f"{kpis[f'{c}.{r}']:,.0f}" for c in ("violations", "blocked", "deferred"))] for r in rules]
        rep.tables.append(
            (f"Conduct rules ({sc.conduct.mode})", _table(["rule", "violations", "blocked", "deferred"], crows))
        )
    rep.tables.append(
        (
            # Low utilisation beside a low service level reads as a contradiction until one sees the peak.
            "Teams (utilisation and service level over the whole horizon: a team's work comes while its stage "
            "is full, see 'Team utilisation and queues' below)",
            _table(
                [
                    "team",
                    "headcount",
                    "on floor",
                    "attempts",
                    "RPCs",
                    "done",
                    "voided",
                    "utilisation",
                    "service level",
                    "due a day",
                    "overtime h",
                    "idle cost",
                    "cost",
                ],
                trows,
            ),
        )
    )
    rep.figures += [
        ("liquidation", "Cumulative recovery by day", plots.liquidation_curves(pd.DataFrame([kpis]), group=None)),
        ("waterfall", "Where the money went, and what it cost", plots.money_waterfall(kpis, costs, cur)),
        ("roll_rates", "Roll rates between 30-day buckets; cure rates", plots.roll_rate_matrix(accounts, horizon)),
        ("daily", "Outstanding balance, collections and active accounts", plots.daily_overview(daily, cur)),
        ("teams", "Team utilisation and queues", plots.team_load(daily, teams)),
        ("journeys", "Accounts by state over time", plots.account_journeys(accounts, horizon)),
    ]
    return rep


def _horizon_rows(kpis: dict, sc: Scenario) -> list[list[str]]:
    """What is still open at the horizon, what it is expected to bring, untreated after it, and the NPV."""
    day, rate = sc.horizon.days, sc.economy.cost_of_funds

    def money(v: float) -> str:
        return f"{sc.currency} {v:,.0f}"

    rows = [
        [
            f"still in collection at day {day}, charged-off balances still worked included "
            "(share of the opening balance)",
            f"{kpis['open_share_at_horizon']:.1%}",
        ],
    ]
    for src in ("in_house", "agency", "legal", "offers"):
        v = kpis.get(f"terminal_collections_{src}", 0.0)
        if v:
            rows.append([f"expected collections after the horizon: {src.replace('_', ' ')}", money(v)])
    rows += [
        ["expected collections after the horizon (untreated, undiscounted)", money(kpis["terminal_collections"])],
        ["expected commission and fees after the horizon", money(kpis["terminal_costs"])],
        [f"their net value at day {day}, discounted at {rate:.1%} a year", money(kpis["terminal_value"])],
        ["recovery rate including the expected value after the horizon", f"{kpis['recovery_rate_with_terminal']:.1%}"],
        ["NPV: net cash discounted to day 0, plus the horizon value", money(kpis["npv"])],
    ]
    if kpis.get("accounts_sold", 0.0) > 0:
        sold = (
            f"{money(kpis['debt_sold'])} face value ({kpis['accounts_sold']:,.0f} accounts) for "
            f"{money(kpis['sale_proceeds'])} ({kpis['sale_price_realised']:.3f} per unit)"
        )
        rows[-1:-1] = [
            ["sold to a debt buyer (worth nothing after the horizon)", sold],
            ["recovery rate including debt-sale proceeds", f"{kpis['recovery_rate_with_sale']:.1%}"],
        ]
    return rows


# --- compare -----------------------------------------------------------------------------------------------------


def _sureness(p: float) -> str:
    if p != p:
        return "no interval with one replication"
    conf = max(p, 1 - p)
    return "very likely" if conf >= 0.95 else "likely" if conf >= 0.8 else "uncertain"


def verdicts(summary: pd.DataFrame, policies: list[str], currency: str) -> list[list[str]]:
    """Per KPI with a direction: which policy is best on average, and how sure against the champion."""
    rows = []
    champ = policies[0]
    for kpi in HEADLINE:
        sub = summary[summary["kpi"] == kpi].set_index("policy")
        sign = direction(kpi)
        if sub.empty or sign == 0 or sub["mean"].isna().all():
            continue
        best = (sub["mean"] * sign).idxmax()
        if best == champ:
            rows.append(_champion_row(kpi, sub.drop(index=champ), champ, currency))
        else:
            r = sub.loc[best]
            rows.append(
                [
                    kpi,
                    best,
                    fmt_diff(kpi, r["diff"], r["diff_half_width"], currency),
                    fmt_p_better(kpi, r["p_better"]),
                    _sureness(r["p_better"]),
                ]
            )
    return rows


def _champion_row(kpi: str, others: pd.DataFrame, champ: str, currency: str) -> list[str]:
    """The champion leads on ``kpi`` on average: by how much over the challenger nearest to it, and how sure it
    is ahead of every challenger (the least sure of its pairings)."""
    p = float((1 - others["p_better"]).min()) if len(others) else float("nan")
    gaps = others["diff"] * direction(kpi)
    if gaps.isna().all():  # no challenger, or no difference to measure (the KPI is undefined in a run)
        return [kpi, f"{champ} (champion)", "—", fmt_p_better(kpi, p), _sureness(p)]
    nearest = gaps.idxmax()
    r = others.loc[nearest]
    lead = f"{fmt_diff(kpi, -r['diff'], r['diff_half_width'], currency)} over {nearest}"
    return [kpi, f"{champ} (champion)", lead, fmt_p_better(kpi, p), _sureness(p)]


def _compare(folder: Path) -> Report:
    from collectsim import plots

    man = _manifest(folder)
    summary = readback.csv(folder / "summary.csv")
    runs = readback.parquet(folder / "runs.parquet")
    policies = list(dict.fromkeys(summary["policy"]))
    scen = {p: _scenario(folder / "scenarios" / f"{p}.toml") for p in policies}
    champ = policies[0]
    cur = scen[champ].currency
    rep = Report(f"Comparison: {', '.join(policies)}", _subtitle(man), scenario_in_words(scen[champ]))
    research = man.get("research_policies", {})
    for p in policies[1:]:
        if p in research:
            rep.words[f"Challenger {p}: research policy"] = [
                f"Python policy {research[p]} in place of the scenario's ladder; portfolio, teams and channels "
                f"as in its scenario ({scen[p].name})."
            ]
        else:
            rep.words[f"Challenger {p}: policy ladder"] = scenario_in_words(scen[p])["Policy ladder"]
    if research:
        rep.notes["Research policies"] = [
            f"{p}: {spec}, run on the portfolio and teams of {scen[p].name}" for p, spec in research.items()
        ]
    rows = []
    for kpi in HEADLINE:
        sub = summary[summary["kpi"] == kpi].set_index("policy")
        if sub.empty:
            continue
        rows.append(
            [kpi]
            + [
                f"{fmt_value(kpi, sub.loc[p, 'mean'], cur)} {fmt_half(kpi, sub.loc[p, 'half_width'], cur)}"
                for p in policies
            ]
        )
    n = int(summary["n"].max())
    caption = "KPIs (mean ± 95% half-width over replications)" if n > 1 else "KPIs (one replication: no interval)"
    rep.tables.append((caption, _table(["KPI", *policies], rows)))
    rep.lead.append(
        (
            f"Which policy wins (against champion {champ}; P = probability the winner is better)",
            _table(
                ["KPI", "best on average", "difference vs champion (its lead if it wins)", "P(better)", "how sure"],
                verdicts(summary, policies, cur),
            ),
        )
    )
    in_run = folder / "in_run_summary.csv"
    if in_run.exists():
        ir = readback.csv(in_run)
        irows = [
            [
                r.test,
                r.kpi,
                f"{r.champion:,.4g}",
                f"{r.challenger:,.4g}",
                f"{r.diff:+,.4g}" + ("" if pd.isna(r.diff_half_width) else f" ± {r.diff_half_width:,.3g}"),
                fmt_p_better(r.kpi, r.p_better),
            ]
            for r in ir.itertuples()
        ]
        rep.tables.append(
            (
                "In-run champion/challenger (shared teams)",
                _table(["test", "KPI", "champion arm", "challenger arm", "difference", "P(better)"], irows),
            )
        )
    if "plain_diff" in summary:
        _uncertainty(rep, folder, summary, policies, cur, man)
    means = runs.groupby("policy", sort=False)[["total_cost", "collected"]].mean().reset_index()
    crn = man.get("common_random_numbers", True)
    pairing = "Paired differences (common random numbers)" if crn else "Differences (independent random numbers)"
    rep.figures += [
        ("liquidation", "Cumulative recovery by day, per policy (95% band)", plots.liquidation_curves(runs, "policy")),
        ("cost_vs_recovery", "Cost against recovery; efficient frontier", plots.cost_vs_recovery(means, "policy", cur)),
        ("paired_differences", f"{pairing} against {champ}", plots.paired_differences(summary, champ)),
    ]
    if {"npv", "npv_after_horizon"} <= set(summary["kpi"]):
        rep.figures.append(("npv", "Net present value per policy", plots.npv_by_policy(summary, cur)))
    return rep


def _uncertainty(rep: Report, folder: Path, summary: pd.DataFrame, policies: list[str], cur: str, man: dict) -> None:
    """Both intervals side by side, and what was drawn (parameter_fit.json, parameter_draws.csv)."""
    champ = policies[0]
    rep.notes["Parameter uncertainty"] = [
        f"Each replication drew the fitted parameters of {man.get('parameter_uncertainty', 'the fit')} from their "
        "sampling distribution (normal, with the fit's covariance, truncated at the bounds), one draw shared by "
        "every policy, so the differences stay paired.",
        "'Noise only' is the same seeds with the parameters at the estimates: simulation noise alone. The KPI means "
        "above and 'with parameter uncertainty' include the draws.",
    ]
    rows = []
    for p in policies[1:]:
        for kpi in HEADLINE:
            sub = summary[(summary["kpi"] == kpi) & (summary["policy"] == p)]
            if sub.empty:
                continue
            r = sub.iloc[0]
            ratio = r["diff_half_width"] / r["plain_diff_half_width"] if r["plain_diff_half_width"] > 0 else math.nan
            rows.append(
                [
                    kpi,
                    p,
                    fmt_diff(kpi, r["plain_diff"], r["plain_diff_half_width"], cur),
                    fmt_p_better(kpi, r["plain_p_better"]),
                    fmt_diff(kpi, r["diff"], r["diff_half_width"], cur),
                    fmt_p_better(kpi, r["p_better"]),
                    number_or_dash(ratio, ".2f"),
                ]
            )
    header = ["KPI", "challenger", "Δ noise only", "P(better)", "Δ with parameter uncertainty", "P(better)", "width ×"]
    rep.tables.append(
        (
            f"Paired differences against {champ}: simulation noise only vs with parameter uncertainty",
            _table(header, rows),
        )
    )
    fit_path, draws_path = folder / "parameter_fit.json", folder / "parameter_draws.csv"
    if fit_path.exists() and draws_path.exists():
        fit = readback.json_file(fit_path)
        draws = readback.csv(draws_path)
        prow = [
            [
                f"{seg}.{name}",
                f"{e['estimate']:.5g}",
                f"{e['std_error']:.3g}",
                f"{draws[f'{seg}.{name}'].mean():.5g}",
                f"{draws[f'{seg}.{name}'].std(ddof=1):.3g}" if len(draws) > 1 else "—",
            ]
            for seg, params in fit["segments"].items()
            for name, e in params.items()
            if f"{seg}.{name}" in draws
        ]
        rep.tables.append(
            (
                f"Parameters drawn ({len(draws)} replications)",
                _table(["parameter", "estimate", "std error", "mean of draws", "sd of draws"], prow),
            )
        )


# --- sweep -------------------------------------------------------------------------------------------------------


def _sweep(folder: Path) -> Report:
    from collectsim import plots

    spec = readback.json_file(folder / "sweep.json")
    table = readback.parquet(folder / "sweep.parquet")
    sc = _scenario(folder / "scenario.toml")
    params = list(spec["parameters"])
    kpis = [k for k in spec["kpis"] if k in table]
    rep = Report(f"Sweep: {spec.get('name') or folder.name}", _subtitle(_manifest(folder)), scenario_in_words(sc))
    rep.notes["Design"] = [
        f"{spec['design']} design over {', '.join(params)}; {spec['replications']} replication(s) "
        f"per point, seed {spec['seed']}; {table['point'].nunique()} points, {len(table)} runs."
    ]
    means = table.groupby("point", sort=True)[[*params, *kpis]].mean()
    cols = [*params, *kpis]
    rows = [
        [str(i)] + [f"{v:,.4g}" if c in params else fmt_value(c, v, sc.currency) for c, v in zip(cols, r, strict=True)]
        for i, r in zip(means.index, means.to_numpy(), strict=True)
    ]
    rep.tables.append(("Mean KPIs per design point", _table(["point", *params, *kpis], rows)))
    pts = table.groupby("point", sort=True)[["total_cost", "collected"]].mean().reset_index()
    rep.figures += [
        ("responses", "KPIs against each swept parameter", plots.sweep_responses(table, params, kpis, sc.currency)),
        (
            "cost_vs_recovery",
            "Cost against recovery per design point; efficient frontier",
            plots.cost_vs_recovery(pts, "point", sc.currency),
        ),
    ]
    if (folder / "sobol.csv").exists():
        sob = readback.csv(folder / "sobol.csv")
        warning = sobol_trust_warning(sob, int(spec.get("points", 0)))
        if warning:
            rep.lead.append(("Sensitivity: read with care", _bullets([warning])))
        # The indices are what a Sobol' sweep is run for: first, above the long table of design points.
        rep.lead.append(("Sobol indices (95% bootstrap half-widths)", _table(*_sobol_rows(sob))))
        rep.figures.append(("sobol", "Sobol indices: first order and total, 95% intervals", plots.sobol_bars(sob)))
    return rep


def _sobol_rows(sob: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The Sobol' table: index ± half-width when the folder has intervals (older folders have none)."""

    def cell(r, k: str) -> str:
        conf = getattr(r, f"{k}_conf", math.nan)
        return f"{getattr(r, k):.3f}" + ("" if pd.isna(conf) else f" ± {conf:.3f}")

    rows = [[r.kpi, r.parameter, cell(r, "S1"), cell(r, "ST")] for r in sob.itertuples()]
    return ["KPI", "parameter", "S1 first order", "ST total"], rows


# --- staff -------------------------------------------------------------------------------------------------------


def _staff(folder: Path) -> Report:
    from collectsim import plots

    man = _manifest(folder)
    sc = _scenario(folder / "scenario.toml")
    staffing = readback.csv(folder / "staffing.csv")
    rep = Report(f"Staffing: {sc.name}", _subtitle(man), scenario_in_words(sc))
    target = man.get("target_service")
    runs = readback.parquet(folder / "runs.parquet") if (folder / "runs.parquet").exists() else None
    for team, summary in staffing.groupby("team", sort=False):
        best = best_headcount(summary)
        erlang = None if runs is None else inbound_erlang(sc, team, runs[runs["team"] == team])
        verdict = staffing_verdict(summary, target, sc.currency, erlang=erlang)
        rep.lead.append((f"Team {team}: the verdict", _bullets(verdict)))
        rows = [
            [
                f"{r.headcount}",
                fmt_value("recovery_rate", r.recovery_rate, sc.currency),
                fmt_value("net_recovery", r.net_recovery, sc.currency),
                f"± {r.net_recovery_half_width:,.0f}",
                fmt_value("total_cost", r.total_cost, sc.currency),
                f"{r.service_level:.1%}",
                f"{r.backlog_mean:,.0f}",
                pct_or_na(r.utilisation),
                money_cell(r.marginal_net_per_agent, float("nan"), sc.currency),
                marginal_npv_cell(r, sc.currency),
            ]
            for r in summary.itertuples()
        ]
        heading = f"Team {team}: staffing curve (mean over {int(summary['n'].max())} replications)"
        rep.tables.append(
            (
                heading,
                _table(
                    [
                        "headcount",
                        "recovery",
                        "net recovery",
                        "interval",
                        "total cost",
                        "service level",
                        "due a day",
                        "utilisation",
                        "marginal net per agent",
                        "marginal NPV per agent ± paired 95%",
                    ],
                    rows,
                ),
            )
        )
        rep.figures.append(
            (
                f"staffing_{team}",
                f"Staffing curve: {team}",
                plots.staffing_curve(
                    summary, team, best, target, sc.currency, meeting=smallest_meeting(summary, target)
                ),
            )
        )
    if (folder / "plan.csv").exists():
        plan = readback.csv(folder / "plan.csv")
        rep.tables.append(
            (
                "Headcount needed week by week",
                _table(
                    ["week", "headcount needed"],
                    [[str(int(r.week)), _count(r.headcount_needed)] for r in plan.itertuples()],
                ),
            )
        )
    return rep


def _targets(folder: Path) -> Report:
    """A fit to aggregate targets: each target against the fitted model, the fitted fields, how the search went."""
    from collectsim import plots

    man = readback.json_file(folder / "fit.json")
    sc = _scenario(folder / "scenario.toml")
    table = readback.csv(folder / "fit.csv")
    rep = Report(f"Fit to portfolio targets: {man.get('name') or sc.name}", _subtitle(man), scenario_in_words(sc))
    status = "converged" if man["converged"] else "not converged"
    rep.notes["Fit"] = [
        f"{man['method']}, {man['evaluations']} evaluations of {man['replications']} replication(s) each "
        f"(common random numbers), {status}: {man['message']}.",
        f"Objective Σ w·((model − target)/tolerance)²: {man['start_objective']:,.4g} at the start, "
        f"{man['objective']:,.4g} fitted.",
    ]
    rows = [
        [
            r.kpi,
            f"{fmt_value(r.kpi, r.target, sc.currency)} ± {fmt_value(r.kpi, r.tolerance, sc.currency)}",
            fmt_value(r.kpi, r.model, sc.currency),
            f"[{fmt_value(r.kpi, r.ci_low, sc.currency)}, {fmt_value(r.kpi, r.ci_high, sc.currency)}]"
            if pd.notna(r.half_width)
            else "—",
            f"{r.error_in_tolerances:+.2f}".replace("-", "−"),
            "yes" if bool(r.within_tolerance) else "NO",
        ]
        for r in table.itertuples()
    ]
    within = int(table["within_tolerance"].astype(bool).sum())
    rep.lead.append(
        (
            f"Targets: {within} of {len(table)} within tolerance",
            _table(["KPI", "target ± tolerance", "model", "95% interval", "error (tolerances)", "within"], rows),
        )
    )
    frows = [
        [
            path + (" (log scale)" if p["log"] else ""),
            f"{p['low']:.4g} – {p['high']:.4g}",
            f"{p['start']:.4g}",
            f"{p['value']:.4g}" + ("  at a bound: widen it?" if p["at_bound"] else ""),
        ]
        for path, p in man["free"].items()
    ]
    rep.tables.append(
        ("Fitted fields (written into scenario.toml)", _table(["field", "range", "start", "fitted"], frows))
    )
    rep.figures.append(
        ("fit", "Each target with its tolerance, the fitted model with its 95% interval", plots.calibration_fit(table))
    )
    return rep


def _histories(folder: Path) -> Report:
    from collectsim import plots

    man = readback.json_file(folder / "fit.json")
    sc = _scenario(folder / "scenario.toml")
    table = readback.csv(folder / "fit.csv")
    curves = readback.csv(folder / "curves.csv")
    holdout = readback.csv(folder / "holdout.csv") if (folder / "holdout.csv").exists() else None
    rep = Report(f"Fit from account histories: {sc.name}", _subtitle(man), scenario_in_words(sc))
    methods = {
        (seg, name): entry.get("se_method", "")
        for seg, params in man.get("segments", {}).items()
        for name, entry in params.items()
    }
    rows = [
        [
            r.segment,
            r.parameter,
            f"{r.estimate:.5g}",
            number_or_dash(r.std_error, ".3g"),
            f"[{r.estimate - 1.96 * r.std_error:.4g}, {r.estimate + 1.96 * r.std_error:.4g}]"
            if pd.notna(r.std_error)
            else "—",
            methods.get((r.segment, r.parameter), ""),
        ]
        for r in table.itertuples()
    ]
    rep.tables.append(
        (
            "Estimates (maximum likelihood)",
            _table(["segment", "parameter", "estimate", "std error", "95% interval", "error from"], rows),
        )
    )
    counts = man.get("counts", {})
    rep.tables.append(
        (
            "Data per segment",
            _table(
                ["segment", "accounts", "payments", "partial payments", "treatments", "log-likelihood"],
                [
                    [
                        seg,
                        f"{c['accounts']:,}",
                        f"{c['payments']:,}",
                        f"{c['partial_payments']:,}",
                        ", ".join(f"{k} {v:,}" for k, v in c["treatments"].items()) or "none",
                        f"{c['loglik']:,.1f}",
                    ]
                    for seg, c in counts.items()
                ],
            ),
        )
    )
    notes = [f"{seg}: {n}" for seg, ns in man.get("notes", {}).items() for n in ns]
    if notes:
        rep.notes["Notes on the fit"] = notes
    if holdout is not None:
        rep.tables.append(
            (
                f"Hold-out back-test: share of the balance collected in the last {man.get('holdout_days')} days",
                _table(
                    ["segment", "accounts open at cut", "observed", "predicted", "95% interval", "error", "within"],
                    [
                        [
                            r.segment,
                            f"{r.accounts_open_at_cut:,}",
                            f"{r.observed:.2%}",
                            f"{r.predicted:.2%}",
                            f"[{r.predicted_low:.2%}, {r.predicted_high:.2%}]",
                            f"{r.error * 100:+.2f} pp",
                            "yes" if r.within_interval else "no",
                        ]
                        for r in holdout.itertuples()
                    ],
                ),
            )
        )
        rep.figures.append(("holdout", "Hold-out back-test: predicted vs observed", plots.holdout_backtest(holdout)))
    rep.figures.insert(
        0, ("curves", "Observed vs fitted first-payment and liquidation curves", plots.history_curves(curves, holdout))
    )
    return rep


def _count(x: float) -> str:
    return "—" if pd.isna(x) else str(int(x))


# --- optimise ----------------------------------------------------------------------------------------------------


def _optimise(folder: Path) -> Report:
    from collectsim import plots

    info = readback.json_file(folder / "optimise.json")
    trials = readback.csv(folder / "trials.csv")
    runs = readback.csv(folder / "search_runs.csv")
    sc = _scenario(folder / "champion.toml")
    cur = sc.currency
    objs = info["objectives"]
    signs = [1 if o["direction"] == "maximize" else -1 for o in objs]
    kpis = [o["kpi"] for o in objs]
    space = info["space"]
    title = f"Optimisation: {space.get('name') or folder.name}"
    rep = Report(title, _subtitle(_manifest(folder)), scenario_in_words(sc))
    rep.notes["Search"] = [
        f"{info['trials']} trials, {info['sampler']}; objective "
        + ", ".join(f"{'max' if s > 0 else 'min'} {k}" for k, s in zip(kpis, signs, strict=True))
        + (f"; subject to {', '.join(info['constraints'])}" if info["constraints"] else "")
        + ".",
        f"Racing: {space['replications']} replication(s) per candidate, {space['full_replications']} for the top "
        f"{space['promote']:.0%}; every candidate on the same seeds (common random numbers); "
        f"{info['full_replications']} trials got full replications.",
        "Confirmation: the best candidate(s) and the champion re-run on fresh seeds never used in the search.",
        info["importance_note"],
    ]
    champ = runs[runs["trial"] == -1]
    full = space["full_replications"]
    rep.figures.append(
        (
            "history",
            "Optimisation history: each trial, the best so far and the champion",
            plots.optimisation_history(trials, kpis[0], signs[0], float(champ[kpis[0]].mean()), full, cur),
        )
    )
    itself = {c["name"] for c in info["best"] if _is_champion(folder / f"{c['name']}.toml", sc)}
    if itself and itself == {c["name"] for c in info["best"]}:
        rep.notes["Search"].append(
            "No candidate beat the champion: the best found is the champion's own settings, so its confirmation "
            "compares the champion with itself (a gain of zero by construction): no winner's curse to check."
        )
    if (folder / "gains.csv").exists():
        gains = readback.csv(folder / "gains.csv")
        rows = [
            [
                r.candidate,
                r.kpi,
                fmt_diff(r.kpi, r.search_gain, float("nan"), cur).strip(),
                pct_or_na(r.search_gain_pct),
                fmt_diff(r.kpi, r.confirmed_gain, r.confirmed_half_width, cur),
                pct_or_na(r.confirmed_gain_pct),
                number_or_dash(r.p_better, ".2f"),
            ]
            for r in gains.itertuples(index=False)
        ]
        head = ["candidate", "KPI", "gain in search", "%", "confirmed gain (95%)", "%", "P(better)"]
        rep.lead.append(("Gain over the champion: in search and confirmed on fresh seeds", _table(head, rows)))
        if not set(gains["candidate"]) <= itself:
            rep.figures.append(
                ("gains", "Found in search against confirmed on fresh seeds", plots.confirmed_gains(gains))
            )
    for cand in info["best"]:
        params = [[k, setting_value(v)] for k, v in cand["params"].items() if not k.startswith("headcount_weight.")]
        params += [[f"teams.{t}.headcount", str(h)] for t, h in cand["headcount"].items()]
        note = ", the champion itself: no candidate beat it" if cand["name"] in itself else ""
        heading = f"{cand['name']} (trial {cand['trial']}{note}): its settings"
        rep.tables.append((heading, _table(["field", "value"], params)))
    if len(kpis) > 1:
        front = trials.loc[trials["pareto"].astype(bool), "trial"].tolist()
        rep.figures.append(
            (
                "pareto",
                "Pareto front of the first two objectives, champion starred",
                plots.pareto_front(trials, kpis, signs, front, [float(champ[k].mean()) for k in kpis[:2]], cur),
            )
        )
    if (folder / "importances.csv").exists():
        imp = readback.csv(folder / "importances.csv")
        rep.figures.append(("importances", "Parameter importances (PED-ANOVA)", plots.parameter_importances(imp)))
    return rep


def _is_champion(candidate: Path, champion: Scenario) -> bool:
    """Whether a candidate the search kept is the champion's own scenario (its name aside)."""
    if not candidate.exists():
        return False
    return same_settings(_scenario(candidate), champion)


BUILDERS: dict[str, Callable[[Path], Report]] = {
    "run": _run,
    "compare": _compare,
    "sweep": _sweep,
    "staff": _staff,
    "histories": _histories,
    "targets": _targets,
    "optimise": _optimise,
}


def render_html(rep: Report, images: list[tuple[str, str]]) -> str:
    """The page, from the package's template: verdict first, the scenario folded in a ``<details>``,
    then tables and figures (``images``: caption and base64 PNG). Every value is escaped."""
    return _template().render(report=rep, images=images)


@functools.cache
def _template():
    import jinja2
    from markupsafe import Markup, escape

    def breakable(text: str) -> Markup:
        """Escaped text that may wrap after "." and "_"."""
        return escape(text).replace(".", Markup(".<wbr>")).replace("_", Markup("_<wbr>"))

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("collectsim", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["breakable"] = breakable
    return env.get_template(TEMPLATE)
