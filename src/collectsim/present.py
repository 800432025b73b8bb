"""Numbers formatted for people: the KPI table the CLI prints."""

from __future__ import annotations

import math

from collectsim.results import RunResult

MONEY = (
    "opening_balance",
    "collected",
    "written_off",
    "total_cost",
    "net_recovery",
    "cost_channel",
    "cost_team",
    "cost_legal",
    "cost_agency",
)
RATES = (
    "recovery_rate",
    "write_off_rate",
    "cost_per_unit_collected",
    "cure_rate_dpd30",
    "cure_rate_dpd60",
    "cure_rate_dpd90",
    "roll_rate_b1_b2",
    "roll_rate_b2_b3",
    "roll_rate_b3_b4",
    "promise_kept_rate",
)
COUNTS = (
    "accounts",
    "mean_days_to_resolution",
    "contacts_per_account",
    "rpc_per_account",
    "promises_made",
    "legal_filed",
    "legal_won",
    "legal_pending",
    "agency_placements",
)


def _fmt(key: str, value: float, currency: str) -> str:
    if math.isnan(value):
        return "n/a"
    if key in MONEY:
        return f"{currency} {value:,.0f}"
    if key in RATES:
        return f"{value:.1%}"
    return f"{value:,.2f}" if value != int(value) else f"{value:,.0f}"


def kpi_table(result: RunResult, currency: str) -> str:
    rows = [
        (k, _fmt(k, result.kpis[k], currency)) for k in (*COUNTS[:1], *MONEY, *RATES, *COUNTS[1:]) if k in result.kpis
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v:>18}" for k, v in rows]
    lines.append("")
    teams = result.teams
    if len(teams):
        lines.append(
            f"{'team':<16}{'headcount':>10}{'attempts':>10}{'RPCs':>8}{'utilisation':>13}{'backlog':>9}{'dropped':>9}"
        )
        for r in teams.itertuples():
            lines.append(
                f"{r.team:<16}{r.headcount:>10,}{r.attempts:>10,}{r.rpcs:>8,}{r.utilisation:>13.1%}"
                f"{r.backlog_mean:>9,.0f}{r.dropped:>9,}"
            )
    return "\n".join(lines)


HEADLINE = (
    "recovery_rate",
    "collected",
    "net_recovery",
    "total_cost",
    "cost_per_unit_collected",
    "cure_rate_dpd30",
    "cure_rate_dpd90",
    "roll_rate_b1_b2",
    "write_off_rate",
    "mean_days_to_resolution",
    "contacts_per_account",
    "promises_kept",
    "legal_filed",
    "agency_commission",
)


def _is_rate(kpi: str) -> bool:
    return "rate" in kpi or kpi == "cost_per_unit_collected"


def fmt_value(kpi: str, value: float, currency: str) -> str:
    if value != value:  # NaN
        return "n/a"
    if _is_rate(kpi):
        return f"{value:.2%}"
    if kpi in MONEY or kpi.startswith("cost") or kpi.endswith(("commission", "collected", "fees")):
        return f"{currency} {value:,.0f}"
    return f"{value:,.2f}"


def fmt_half(kpi: str, half: float, currency: str) -> str:
    if half != half:
        return ""
    if _is_rate(kpi):
        return f"±{half * 100:.2f} pp"
    return "±" + fmt_value(kpi, half, currency).replace(f"{currency} ", "")


def fmt_diff(kpi: str, diff: float, half: float, currency: str) -> str:
    if _is_rate(kpi):
        return f"{diff * 100:+.2f} pp ±{half * 100:.2f}".replace("-", "−")
    sign = "+" if diff >= 0 else "−"
    return f"{sign}{fmt_value(kpi, abs(diff), currency)} {fmt_half(kpi, half, currency)}"


def comparison_table(summary, policies: tuple[str, ...], currency: str, kpis: tuple[str, ...] = HEADLINE) -> str:
    """Each policy's mean ± 95% half-width, and each challenger's paired difference with the champion."""
    champ = policies[0]
    lines = [
        f"champion: {champ}; n = {int(summary['n'].max())} replications; 95% intervals; "
        "VRF = variance reduction from common random numbers"
    ]
    for p in policies[1:]:
        lines.append("")
        lines.append(
            f"{'KPI':<26}{champ[:24]:>26}{p[:24]:>26}{'Δ ' + p[:10] + ' − champion':>30}{'P(better)':>11}{'VRF':>7}"
        )
        for kpi in kpis:
            rows = summary[summary["kpi"] == kpi].set_index("policy")
            if rows.empty:
                continue
            a, b = rows.loc[champ], rows.loc[p]
            diff = fmt_diff(kpi, b["diff"], b["diff_half_width"], currency)
            vrf = b.get("variance_reduction", float("nan"))
            lines.append(
                f"{kpi:<26}{_cell(kpi, a, currency):>26}{_cell(kpi, b, currency):>26}{diff:>30}"
                f"{b['p_better']:>11.2f}{vrf:>7.1f}"
            )
    return "\n".join(lines)


def _cell(kpi: str, row, currency: str) -> str:
    return f"{fmt_value(kpi, row['mean'], currency)} {fmt_half(kpi, row['half_width'], currency)}"
