"""Numbers formatted for people: the KPI table the CLI prints."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from collectsim.experiments.stats import direction
from collectsim.metrics import is_fraction
from collectsim.results import RunResult

MONEY = (
    "opening_balance",
    "interest_accrued",
    "fees_charged",
    "owed",
    "collected",
    "written_off",
    "recovered_after_write_off",
    "debt_sold",
    "sale_proceeds",
    "total_cost",
    "net_recovery",
    "cost_channel",
    "cost_team",
    "cost_legal",
    "cost_agency",
    "cost_recovery",
    "recovery_stage_collected",
    "terminal_collections",
    "terminal_value",
    "net_value",
    "npv",
    "npv_with_performing",
    "performing_balance",
    "arrears_outstanding",
)
RATES = (
    "recovery_rate",
    "recovery_rate_with_sale",
    "recovery_rate_with_terminal",
    "open_share_at_horizon",
    "write_off_rate",
    "cost_per_unit_collected",
    "cure_rate_dpd30",
    "cure_rate_dpd60",
    "cure_rate_dpd90",
    "roll_rate_1_30",
    "roll_rate_30_60",
    "roll_rate_60_90",
    "statement_roll_rate_30_60",
    "statement_no_payment_rate_1_2",
    "statement_no_payment_rate_3_plus",
    "cure_rate_ever",
    "sustained_cure_share",
    "redefault_rate",
    "promise_kept_rate",
    "share_4_calls_per_week",
    "share_4_calls_per_week_called",
    "share_4_contacts_per_week",
    "recovery_stage_yield",
)
COUNTS = (
    "accounts",
    "mean_days_to_resolution",
    "contacts_per_account",
    "rpc_per_account",
    "promises_made",
    "promises_broken",
    "promises_cancelled",
    "recovered_accounts",
    "legal_filed",
    "legal_won",
    "legal_pending",
    "agency_placements",
    "recovery_stage_entered",
    "recovery_stage_contacts",
    "accounts_sold",
    "sale_price_realised",
    "redefaults",
    "reaged_accounts",
)
SALE = ("debt_sold", "sale_proceeds", "recovery_rate_with_sale", "accounts_sold", "sale_price_realised")
CHARGES = ("interest_accrued", "fees_charged", "owed")


def _fmt(key: str, value: float, currency: str) -> str:
    if math.isnan(value):
        return "n/a"
    if key in MONEY:
        return f"{currency} {value:,.0f}"
    if key in RATES:
        return f"{value:.1%}"
    return f"{value:,.2f}" if value != int(value) else f"{value:,.0f}"


def kpi_table(result: RunResult, currency: str) -> str:
    """The KPI rows; the debt-sale rows only when something was sold, interest and fees only when charged."""
    sold = result.kpis.get("accounts_sold", 0.0) > 0
    charged = result.kpis.get("owed", 0.0) > result.kpis.get("opening_balance", 0.0)
    rows = [
        (k, _fmt(k, result.kpis[k], currency))
        for k in (*COUNTS[:1], *MONEY, *RATES, *COUNTS[1:])
        if k in result.kpis and (sold or k not in SALE) and (charged or k not in CHARGES)
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v:>18}" for k, v in rows]
    lines.append("")
    teams = result.teams
    if len(teams):
        lines.append(
            f"{'team':<16}{'headcount':>10}{'on floor':>9}{'attempts':>10}{'RPCs':>8}{'utilisation':>13}{'service':>9}"
            f"{'voided':>9}{'due/day':>9}{'dropped':>9}{'overtime h':>11}"
        )
        for r in teams.itertuples():
            lines.append(
                f"{r.team:<16}{r.headcount:>10,}{r.on_floor:>9,.1f}{r.attempts:>10,}{r.rpcs:>8,}{pct_or_na(r.utilisation):>13}"
                f"{pct_or_na(r.service_level):>9}{r.voided:>9,}{r.backlog_mean:>9,.0f}{r.dropped:>9,}"
                f"{r.overtime_minutes / 60:>11,.1f}"
            )
    return "\n".join(lines)


def pct_or_na(value: float) -> str:
    """A share as a percentage, or "n/a" when it is undefined (no work due, nobody on the floor)."""
    return "n/a" if pd.isna(value) else f"{value:.1%}"


HEADLINE = (
    "recovery_rate",
    "recovery_rate_with_terminal",
    "collected",
    "net_recovery",
    "npv",
    "npv_with_performing",  # with a contract only: the cash NPV and the balance cured back to performing
    "total_cost",
    "cost_per_unit_collected",
    "cure_rate_dpd30",
    "cure_rate_dpd90",
    "roll_rate_1_30",
    "roll_rate_30_60",
    "statement_roll_rate_30_60",  # with statements only: the monthly roll a card issuer reports
    "sustained_cure_share",
    "write_off_rate",
    "mean_days_to_resolution",
    "contacts_per_account",
    "promises_kept",
    "promise_kept_rate",  # the promises' quality, which has a better side (the count above has none)
    "legal_filed",
    "agency_commission",
    "complaints_per_1000",
)


def _is_rate(kpi: str) -> bool:
    return "rate" in kpi or kpi.startswith("share_") or kpi == "cost_per_unit_collected" or is_fraction(kpi)


def fmt_value(kpi: str, value: float, currency: str) -> str:
    if value != value:  # NaN
        return "n/a"
    if _is_rate(kpi):
        return f"{value:.2%}"
    if kpi in MONEY or kpi.startswith("cost") or kpi.endswith(("commission", "collected", "fees")):
        return f"{currency} {value:,.0f}"
    # A count from one run is a whole number and reads as one ("legal_filed 252", not "252.00"); a mean of
    # counts, or a ratio such as complaints per 1,000, keeps its decimals.
    whole = kpi in WHOLE_COUNTS and float(value).is_integer()
    return f"{value:,.0f}" if whole else f"{value:,.2f}"


WHOLE_COUNTS = frozenset(
    {
        "accounts",
        "promises_made",
        "promises_kept",
        "promises_broken",
        "promises_cancelled",
        "recovered_accounts",
        "legal_filed",
        "legal_won",
        "legal_lost",
        "legal_settled",
        "legal_pending",
        "agency_placements",
        "accounts_sold",
        "complaints",
    }
)


def fmt_half(kpi: str, half: float, currency: str) -> str:
    if half != half:
        return ""
    if _is_rate(kpi):
        return f"±{half * 100:.2f} pp"
    return "±" + fmt_value(kpi, half, currency).replace(f"{currency} ", "")


def fmt_diff(kpi: str, diff: float, half: float, currency: str) -> str:
    """A difference with its interval; without an interval (one replication) the bare difference, never "±nan"."""
    if _is_rate(kpi):
        interval = "" if half != half else f" ±{half * 100:.2f}"
        return f"{diff * 100:+.2f} pp{interval}".replace("-", "−")
    sign = "+" if diff >= 0 else "−"
    return f"{sign}{fmt_value(kpi, abs(diff), currency)} {fmt_half(kpi, half, currency)}".rstrip()


def fmt_p_better(kpi: str, p: float) -> str:
    """P(challenger better) to two places; a dash for a KPI with no better side, or with no interval (n = 1)."""
    return "—" if direction(kpi) == 0 or p != p else f"{p:.2f}"


def comparison_table(
    summary, policies: tuple[str, ...], currency: str, kpis: tuple[str, ...] = HEADLINE, *, paired: bool = True
) -> str:
    """Each policy's mean ± 95% half-width, and each challenger's paired difference with the champion.

    A summary with parameter uncertainty (``plain_*`` columns) gets the difference twice, side by
    side: from simulation noise only (the runs at the estimates) and with the parameter draws.
    The VRF column (what common random numbers bought) appears only when they were used
    (``paired``) and there are two replications or more to measure it; one replication gives no interval.
    """
    champ = policies[0]
    uncertain = "plain_diff" in summary
    n = int(summary["n"].max())
    vrf_shown = paired and n > 1
    head = f"champion: {champ}; n = {n} replication{'s' * (n != 1)}; "
    head += "95% intervals" if n > 1 else "no interval with one replication"
    if vrf_shown:
        head += "; VRF = variance reduction from common random numbers"
    elif not paired:
        head += "; independent random numbers per policy (no pairing)"
    lines = [head]
    if uncertain:
        lines.append(
            "parameter uncertainty: each replication draws the fitted parameters, one draw for every policy; "
            "policy means and 'with parameters' include it, 'noise only' is the same seeds at the estimates"
        )
    for p in policies[1:]:
        header = ["KPI", champ, p]
        if uncertain:
            header += ["Δ noise only", "P(better)", "Δ with parameters", "P(better)"]
        else:
            header += [f"Δ {p} − champion", "P(better)"]
        header += ["VRF"] if vrf_shown else []
        rows = []
        for kpi in kpis:
            sub = summary[summary["kpi"] == kpi].set_index("policy")
            if sub.empty:
                continue
            a, b = sub.loc[champ], sub.loc[p]
            row = [kpi, _cell(kpi, a, currency), _cell(kpi, b, currency)]
            if uncertain:
                row += [
                    fmt_diff(kpi, b["plain_diff"], b["plain_diff_half_width"], currency),
                    fmt_p_better(kpi, b["plain_p_better"]),
                ]
            row += [fmt_diff(kpi, b["diff"], b["diff_half_width"], currency), fmt_p_better(kpi, b["p_better"])]
            if vrf_shown:
                row.append(number_or_dash(b.get("variance_reduction", float("nan")), ".1f"))
            rows.append(row)
        lines += ["", text_table(header, rows)]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]], *, left: int = 1) -> str:
    """A fixed-width text table (rich): columns as wide as their widest cell, none cut short, the first
    ``left`` left-aligned and the rest right-aligned, a rule under the header. Plain text: no colour or
    escape code, whether stdout is a terminal, a pipe or a file; trailing blanks stripped."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="none")
    for i, name in enumerate(header):
        table.add_column(Text(name), justify="left" if i < left else "right", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # Text: a "[" in a name is text, not rich markup
    out = io.StringIO()
    Console(file=out, width=100_000, color_system=None, force_terminal=False, highlight=False).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def _cell(kpi: str, row, currency: str) -> str:
    return f"{fmt_value(kpi, row['mean'], currency)} {fmt_half(kpi, row['half_width'], currency)}".rstrip()


def staffing_table(scenario, curves: dict, chosen: dict[str, int], plan=None) -> str:
    """Per team: the staffing curve with intervals, the best and the smallest adequate headcount."""
    from collectsim.experiments.staffing import inbound_erlang
    from collectsim.verdict import staffing_verdict

    cur = scenario.currency
    lines = []
    for team, c in curves.items():
        s = c.summary
        n = int(s["n"].max())
        lines.append(
            f"team {team} — {n} replications per headcount, 95% intervals"
            if n > 1
            else f"team {team} — one replication per headcount: no interval"
        )
        header = ["headcount", "recovery", "", "net recovery", "", "total cost", "", "service", "", "due/day"]
        header += ["utilisation", "marginal net/agent", "marginal NPV/agent"]

        def pm(value: float, spec: str, unit: str = "") -> str:
            """'±half-width' (``unit`` " pp" for shares), or nothing where there is none (one replication)."""
            return "" if math.isnan(value) else "±" + format(value, spec) + unit

        rows = [
            [
                f"{r.headcount}",
                f"{r.recovery_rate:.2%}",
                pm(r.recovery_rate_half_width * 100, ".2f", " pp"),
                f"{cur} {r.net_recovery:,.0f}",
                pm(r.net_recovery_half_width, ",.0f"),
                f"{cur} {r.total_cost:,.0f}",
                pm(r.total_cost_half_width, ",.0f"),
                f"{r.service_level:.1%}",
                pm(r.service_level_half_width * 100, ".1f", " pp"),
                f"{r.backlog_mean:,.0f}",
                pct_or_na(r.utilisation),
                money_cell(r.marginal_net_per_agent, float("nan"), cur),
                marginal_npv_cell(r, cur),
            ]
            for r in s.itertuples()
        ]
        lines.append(text_table(header, rows, left=0))
        erlang = inbound_erlang(scenario, team, c.table)
        verdict = staffing_verdict(s, c.target_service, cur, erlang=erlang)
        lines += [f"  {line}" for line in verdict]
        lines.append("")
    if len(curves) > 1:
        lines.append(
            "chosen (coordinate search on net recovery): " + ", ".join(f"{t} = {h}" for t, h in chosen.items())
        )
    if plan is not None:
        lines.append("headcount needed week by week (smallest tried that holds the target):")
        weeks = (f"w{int(r.week)}:{number_or_dash(r.headcount_needed, '.0f')}" for r in plan.itertuples())
        lines.append("  " + "  ".join(weeks))
    return "\n".join(lines)


SHARED_FIELDS = ("arrivals_per_hour", "aht_min", "load", "target", "within_s")  # the same on every level


def erlang_rows(
    per_hour: float, aht: float, target: float, within_s: float, shrinkage: float, simulate_hours: float | None
):
    """The Erlang C answer and one row per staffing level around it (two below to two above).

    Each row has the level's fields of ``ErlangReport`` (``agents, rostered, p_wait, mean_wait_s`` — inf where
    the queue is unstable — ``service_level, occupancy``), ``meets_target`` and, with
    ``simulate_hours``, ``simulated_p_wait`` and ``simulated_mean_wait_s``: the mean of five simulated
    replications of the queue on the team machinery (NaN for an unstable level, which is not simulated).
    """
    from dataclasses import asdict

    from collectsim import queueing as q

    rep = q.erlang_report(per_hour, aht, target, within_s, shrinkage)
    levels = range(max(1, rep.agents - 2), rep.agents + 3)
    rows = []
    for r in q.erlang_table(per_hour, aht, within_s, levels, target=target, shrinkage=shrinkage):
        row = {k: v for k, v in asdict(r).items() if k not in SHARED_FIELDS} | {"meets_target": r.meets_target}
        if simulate_hours:
            row["simulated_p_wait"], row["simulated_mean_wait_s"] = (
                _simulated_mmc(per_hour, aht, r.agents, within_s, simulate_hours)
                if r.agents > rep.load
                else (float("nan"), float("nan"))
            )
        rows.append(row)
    return rep, rows


def _simulated_mmc(per_hour: float, aht: float, agents: int, within_s: float, hours: float) -> tuple[float, float]:
    """P(wait) and mean wait (s) of ``agents`` agents, averaged over five seeded simulated replications."""
    from collectsim.engine.operations.validation import simulate_mmc

    runs = [
        simulate_mmc(
            per_hour, aht, agents, hours=hours, warmup_hours=min(24.0, hours / 5), within_s=within_s, seed=seed
        )
        for seed in range(5)
    ]
    return sum(r.p_wait for r in runs) / 5, sum(r.mean_wait_min for r in runs) / 5 * 60


def erlang_text(rep, rows: list[dict], shrinkage: float) -> str:
    """What `collectsim erlang` prints: the load, the answer, and the table of levels around it (← the answer)."""
    simulated = bool(rows) and "simulated_p_wait" in rows[0]
    lines = [
        f"offered load {rep.load:.2f} Erlangs ({rep.arrivals_per_hour:g} calls/h × {rep.aht_min:g} min)",
        f"agents needed for {rep.target:.0%} within {rep.within_s:g} s: {rep.agents} on the floor"
        + (f", {rep.rostered} rostered with {shrinkage:.0%} shrinkage" if shrinkage else ""),
        "",
        f"{'agents':>7}{'P(wait)':>10}{'mean wait':>12}{'service level':>15}{'occupancy':>11}"
        + (f"{'simulated P(wait)':>19}{'sim. wait':>11}" if simulated else ""),
    ]
    for r in rows:
        mark = "  ←" if r["agents"] == rep.agents else ""
        if r["agents"] <= rep.load:  # as many agents as Erlangs or fewer: the queue grows without end
            mark = "  unstable: agents ≤ load, the queue grows without end"
        line = (
            f"{r['agents']:>7}{r['p_wait']:>10.3f}{r['mean_wait_s']:>10.1f} s{r['service_level']:>15.1%}"
            f"{r['occupancy']:>11.1%}"
        )
        if simulated and r["simulated_p_wait"] == r["simulated_p_wait"]:
            line += f"{r['simulated_p_wait']:>19.3f}{r['simulated_mean_wait_s']:>9.1f} s"
        lines.append(line + mark)
    return "\n".join(lines)


def number_or_dash(value: float, spec: str) -> str:
    """A number, or a dash where it is undefined (NaN)."""
    return "—" if value != value else format(value, spec)


def setting_value(v: Any) -> str:
    """A searched setting as a person reads it: a switched step on or off, a number to four figures."""
    if isinstance(v, bool):
        return "on" if v else "off (step removed)"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def money_cell(value: float, half_width: float, currency: str) -> str:
    """'−USD 1,234 ± 56': money with its sign in front of the currency (as ``fmt_diff``), the half-width
    where there is one, a dash where there is no value."""
    if value != value:
        return "—"
    text = f"{'−' if value < 0 else ''}{currency} {abs(value):,.0f}"
    return text if half_width != half_width else f"{text} ± {half_width:,.0f}"


def marginal_npv_cell(row, currency: str) -> str:
    """A staffing curve's marginal NPV per agent with its paired 95% interval, for the terminal and the report."""
    nan = float("nan")
    value = getattr(row, "marginal_npv_per_agent", nan)
    return money_cell(value, getattr(row, "marginal_npv_per_agent_half_width", nan), currency)


def conduct_table(result: RunResult, scenario) -> str:
    """Violations (audit) or blocked/deferred actions (enforce) by rule, complaints and refusals."""
    rules = [k.split(".", 1)[1] for k in result.kpis if k.startswith("violations.")]
    if not rules:
        return ""
    audit = scenario.conduct.mode == "audit"
    k = result.kpis
    if audit:
        lines = ["conduct rules (audit): violations"]
        lines += [f"  {name:<40}{k[f'violations.{name}']:>12,.0f}" for name in rules]
    else:
        lines = [f"conduct rules (enforce): {'':<22}{'blocked':>12}{'deferred':>12}"]
        lines += [f"  {name:<40}{k[f'blocked.{name}']:>12,.0f}{k[f'deferred.{name}']:>12,.0f}" for name in rules]
    lines.append(f"  complaints per 1,000 accounts {result.kpis['complaints_per_1000']:>22,.2f}")
    return "\n".join(lines)


def _is_share(kpi: str) -> bool:
    return _is_rate(kpi) or kpi.startswith("liquidation_d") or kpi.endswith(("service_level", "utilisation"))


def _cal_value(kpi: str, v: float) -> str:
    if v != v:
        return "n/a"
    return f"{v:.2%}" if _is_share(kpi) else f"{v:,.4g}"


def _cal_diff(kpi: str, v: float) -> str:
    if v != v:
        return "n/a"
    text = f"{v * 100:+.2f} pp" if _is_share(kpi) else f"{v:+,.4g}"
    return text.replace("-", "−")


def calibration_table(fit) -> str:
    """The fitted parameters and, per target, target, model mean with its 95% interval, error, verdict."""
    status = "converged" if fit.converged else "not converged"
    lines = [
        f"{fit.name}: {fit.method}, {fit.evaluations} evaluations of {fit.n} replication(s) each "
        f"(common random numbers), {status}: {fit.message}",
        f"objective Σ w·((model − target)/tolerance)²: {fit.start_objective:,.4g} at the start → "
        f"{fit.objective:,.4g} fitted",
        "",
        f"{'free parameter':<40}{'low':>11}{'high':>11}{'start':>11}{'fitted':>11}",
    ]
    edge = set(fit.at_bound())
    for path, p in fit.free.items():
        note = "  at a bound: widen it?" if path in edge else ""
        scale = " (log)" if p.log else ""
        lines.append(
            f"{(path + scale)[:39]:<40}{p.low:>11.4g}{p.high:>11.4g}{fit.start[path]:>11.4g}"
            f"{fit.params[path]:>11.4g}{note}"
        )
    lines += [
        "",
        f"{'target KPI':<28}{'target':>10}{'tolerance':>12}{'model':>10}{'95% interval':>22}"
        f"{'error':>12}{'in tol.':>9}{'within':>8}",
    ]
    for r in fit.table.itertuples(index=False):
        kpi = str(r.kpi)
        interval = (
            f"[{_cal_value(kpi, r.ci_low)}, {_cal_value(kpi, r.ci_high)}]" if r.half_width == r.half_width else "n/a"
        )
        tol = _cal_diff(kpi, r.tolerance).replace("+", "±")
        lines.append(
            f"{kpi[:27]:<28}{_cal_value(kpi, r.target):>10}{tol:>12}{_cal_value(kpi, r.model):>10}"
            f"{interval:>22}{_cal_diff(kpi, r.error):>12}{r.error_in_tolerances:>+9.2f}".replace("-", "−")
            + f"{'yes' if r.within_tolerance else 'NO':>8}"
        )
    within = int(fit.table["within_tolerance"].sum())
    lines.append(f"\n{within} of {len(fit.table)} targets within tolerance")
    return "\n".join(lines)
