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
