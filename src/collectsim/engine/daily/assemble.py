"""A finished run's results: the accounts, teams and costs tables, the KPI dictionary, the event log.

Everything here reads a ``Simulation`` after its last day and writes nothing back;
the daily series and the event log come from its recorder. Each table is built once,
and a KPI is read from its table where one exists, so the two cannot disagree. The tables are
handed over as ``Columns`` (numpy arrays, what the KPIs read) and rows; their DataFrames are made
only when a caller asks for them, so a run that only returns its KPIs never needs pandas.
"""

from __future__ import annotations

import math

import numpy as np

from collectsim import metrics
from collectsim.engine.accounts.horizon import HorizonValue
from collectsim.engine.accounts.ledger import BUCKET_NAMES
from collectsim.engine.accounts.schedule import ROLL_STARTS, STATEMENT_ROLLS
from collectsim.engine.accounts.state import ACTIVE, LEGAL_NAMES, STATUS_NAMES
from collectsim.engine.contact.outcomes import EVENT_OUTCOMES
from collectsim.engine.daily.loop import Simulation
from collectsim.engine.operations.teams import MINUTES_PER_DAY, TeamDesk
from collectsim.results import Columns, Rows, RunResult, day_or_nan, missing_day_columns


def _schedule_columns(sim: Simulation) -> dict[str, np.ndarray]:
    """With a contractual schedule: arrears, cures and re-defaults, and the day each bucket was first reached."""
    sch, s = sim.schedule, sim.state
    if sch is None:
        return {}
    reached = {f"reached_dpd_{start}_day": day_or_nan(sch.reach_day[j]) for j, start in enumerate(ROLL_STARTS)}
    rolls = {}
    for k in range(1, STATEMENT_ROLLS + 1):
        rolls[f"statement_roll_cycles_{k}"] = sch.roll_cycles[k - 1]
        rolls[f"statement_rolled_{k}"] = sch.rolled[k - 1]
    return {
        "dpd": s.dpd,
        "arrears": s.arrears,
        "due_amount": sch.due,
        "cures": sch.cures,
        "first_cure_day": day_or_nan(sch.first_cure_day),
        "redefaults": sch.redefaults,
        "cured_days": sch.cured_days(sim.sc.horizon.days),
        "remaining_life_days": sch.remaining_life_days(),
        "sustained_cure": sch.sustained(sim.sc.horizon.days),
        "reages": sch.reages,
        "statement_cycles_1_2": sch.cycles[0],
        "statement_unpaid_1_2": sch.unpaid_cycles[0],
        "statement_cycles_3_plus": sch.cycles[1],
        "statement_unpaid_3_plus": sch.unpaid_cycles[1],
        **rolls,
        **reached,
    }


def _accounts(sim: Simulation, hv: HorizonValue, *, take: bool) -> Columns:
    """The per-account table; with ``take`` its columns are the engine's own arrays, not copies (``run_result``)."""
    s, p, sc = sim.state, sim.state.pop, sim.sc
    res_dpd = day_or_nan(p.entry_dpd + s.resolution_day - p.entry_day, missing=s.resolution_day < 0)
    data = {
        "account": np.arange(s.n),
        "segment": p.segment,
        "reason": p.reason,
        "entry_day": p.entry_day,
        "entry_dpd": p.entry_dpd,
        "opening_balance": s.opening,
        "interest": s.interest,
        "fees": s.fees,
        "score": p.score,
        "paid": s.paid,
        "discount": s.discount,
        "written_off": s.written_off,
        "recovered_after_write_off": s.recovered_after_write_off,
        "sold": s.sold,
        "sale_proceeds": s.sale_proceeds,
        "sale_day": day_or_nan(s.sale_day),
        "outstanding": s.balance,
        "status": s.status,
        "resolution_day": day_or_nan(s.resolution_day),
        "resolution_dpd": res_dpd,
        "first_payment_day": day_or_nan(s.first_payment_day),
        "payments": s.payments,
        "paid_buckets": s.paid_buckets,
        "attempts": s.attempts,
        "contacts": s.contacts,
        "rpcs": s.rpcs,
        "ever_called": sim.contact.intensity.called,
        "intense_calls_week": sim.contact.intensity.calls_week,
        "intense_any_week": sim.contact.intensity.any_week,
        "promises": s.promises,
        "promises_kept": s.promises_kept,
        "promises_broken": s.promises_broken,
        "promises_cancelled": s.promises_cancelled,
        "legal_stage": s.legal_stage,
        "ever_placed": s.ever_placed,
        "agency_paid": s.agency_paid,
        "complaints": s.complaints,
        "vulnerable": p.vulnerable,
        "broken_plan_day": day_or_nan(s.broken_plan_day),
        "direct_cost": s.direct_cost,
        "open_at_horizon": (s.status == ACTIVE) | s.placed | s.legal_active | s.in_recovery,
        "expected_after_horizon": hv.collections,
        "expected_after_horizon_pv": hv.collections_pv,
        "expected_costs_after_horizon": hv.costs,
        "expected_costs_after_horizon_pv": hv.costs_pv,
        "team_minutes": s.team_minutes,
        "self_cure_label": p.self_cure_label,
        "lambda_inf": p.lam_inf,
        "willingness": p.willingness,
        "ability": p.ability,
        "contactability": p.contactability,
        **_schedule_columns(sim),
    }
    if not take:
        data = {k: np.array(v) for k, v in data.items()}
    labels = {
        "segment": sc.population.segments,
        "reason": sc.reasons,
        "status": STATUS_NAMES,
        "legal_stage": LEGAL_NAMES,
    }
    return Columns(data, categories=labels, days=missing_day_columns(data))


TEAM_KPIS = (
    "attempts",
    "rpcs",
    "utilisation",
    "service_level",
    "carried_over",
    "dropped",
    "voided",
    "overtime_minutes",
    "overtime_cost",
    "idle_cost",
    "backlog_end",
    "backlog_mean",
    "queue_mean",
    "wait_mean_days",
    "inbound_calls",
    "inbound_asa_s",
    "inbound_service_level",
)
TEAM_COLUMNS = (
    "team",
    "headcount",
    "on_floor",
    "days_worked",
    "attempts",
    "rpcs",
    "inbound_answered",
    "utilisation",
    "service_level",
    "carried_over",
    "dropped",
    "due",
    "done",
    "voided",
    "busy_minutes",
    "floor_minutes",
    "overtime_minutes",
    "overtime_cost",
    "idle_cost",
    "backlog_end",
    "backlog_mean",
    "queue_mean",
    "wait_mean_days",
    "inbound_calls",
    "inbound_asa_s",
    "inbound_p_wait",
    "inbound_service_level",
    "queue_arrivals",
    "queue_area",
    "queue_wait_total",
    "inbound_area",
    "inbound_wait_total",
    "cost",
)


def _idle_cost(desk: TeamDesk) -> float:
    """What on-floor minutes with no work cost, at each shift's rate per minute."""
    t = desk.tally
    if t.available_minutes <= 0:
        return 0.0
    per_minute = desk.spec.cost_per_fte_day / desk.mean_shift_minutes
    return max(0.0, t.available_minutes - t.busy_minutes) * per_minute


def _team_row(desk: TeamDesk, horizon: int) -> dict:
    """One team's figures: service level = done ÷ (due − voided); utilisation = busy ÷ on-floor minutes."""
    t, out, inb = desk.tally, desk.outbound, desk.inbound
    waits = np.asarray(inb.waits) * MINUTES_PER_DAY * 60
    due, done, voided = sum(t.daily_queue), sum(t.daily_done), sum(t.daily_voided)
    nan = float("nan")
    return {
        "team": desk.name,
        "headcount": desk.headcount,
        "on_floor": desk.mean_on_floor,
        "days_worked": t.days_worked,
        "attempts": t.attempts,
        "rpcs": t.rpcs,
        "inbound_answered": t.inbound_answered,
        "utilisation": t.busy_minutes / t.available_minutes if t.available_minutes else nan,
        "service_level": done / (due - voided) if due > voided else nan,
        "carried_over": t.carried,
        "dropped": t.dropped,
        "due": due,
        "done": done,
        "voided": voided,
        "busy_minutes": t.busy_minutes,
        "floor_minutes": t.available_minutes,
        "overtime_minutes": t.overtime_minutes,
        "overtime_cost": t.overtime_cost,
        "idle_cost": _idle_cost(desk),
        "backlog_end": out.waiting,
        "backlog_mean": float(np.mean(t.daily_queue)) if t.daily_queue else 0.0,
        "queue_mean": out.length.mean(horizon),
        "wait_mean_days": (out.total_wait + out.residual_wait(horizon)) / out.arrivals if out.arrivals else nan,
        "inbound_calls": inb.arrivals,
        "inbound_asa_s": float(waits.mean()) if waits.size else nan,
        "inbound_p_wait": float((waits > 1e-9).mean()) if waits.size else nan,
        "inbound_service_level": float((waits <= desk.spec.answer_within_s).mean()) if waits.size else nan,
        "queue_arrivals": out.arrivals,
        "queue_area": out.length.area_until(horizon),
        "queue_wait_total": out.total_wait + out.residual_wait(horizon),
        "inbound_area": inb.length.area_until(horizon),
        "inbound_wait_total": inb.total_wait + inb.residual_wait(horizon),
        "cost": t.rostered_days * desk.spec.cost_per_fte_day + t.overtime_cost,
    }


def _teams(sim: Simulation) -> list[dict]:
    return [_team_row(desk, sim.sc.horizon.days) for desk in sim.teams.values()]


def _costs(sim: Simulation, teams: list[dict]) -> list[tuple]:
    rows = [("channel", k, t.cost) for k, t in sim.contact.tally.items()]
    rows += [("team", r["team"], r["cost"]) for r in teams]
    rows += [
        ("legal", "fees", sim.legal.tally.fees),
        ("agency", "commission", sim.agency.tally.commission),
        ("complaints", "handling", sim.complaints.total * sim.complaints.cost),
    ]
    if sim.recovery is not None:  # only with a [recovery] table, so runs without one keep their tables
        rows.append(("recovery", "contacts", sim.recovery.tally.cost))
    return rows


def _bucket_kpis(sim: Simulation, teams: list[dict]) -> dict[str, float]:
    """Collected, cost and cost to collect per delinquency bucket (``engine/accounts/ledger.py``).

    ``cost_unattributed`` is the cost of teams that spent no minute on any account (paid, idle).
    """
    ledger = sim.state.ledger
    shared, idle = ledger.team_cost({r["team"]: float(r["cost"]) for r in teams})
    cost = ledger.cost + shared
    out: dict[str, float] = {"cost_unattributed": idle}
    for b, name in enumerate(BUCKET_NAMES):
        out[f"collected_in_{name}"] = float(ledger.collected[b])
        out[f"cost_in_{name}"] = float(cost[b])
        out[f"cost_to_collect_{name}"] = float(cost[b] / ledger.collected[b]) if ledger.collected[b] > 0 else math.nan
    return out


def _recovery_kpis(sim: Simulation) -> dict[str, float]:
    """The in-house recovery stage (``engine/operations/recovery.py``): who entered and left, contacts, money."""
    assert sim.recovery is not None
    t = sim.recovery.tally
    return {
        "recovery_stage_entered": t.entered,
        "recovery_stage_balance": t.balance,
        "recovery_stage_paid_off": t.paid_off,
        "recovery_stage_ended": t.ended,
        "recovery_stage_open": int(sim.state.in_recovery.sum()),
        "recovery_stage_contacts": t.contacts,
        "recovery_stage_reached": t.reached,
        "recovery_stage_cost": t.cost,
        "recovery_stage_collected": t.collected,
        "recovery_stage_yield": t.collected / t.balance if t.balance > 0 else math.nan,
    }


def _conduct_kpis(sim: Simulation, accounts: Columns) -> dict[str, float]:
    """Conduct, complaints, vulnerable customers and repayment offers."""
    out: dict[str, float] = {}
    n = accounts.rows
    complaints = float(accounts["complaints"].sum())
    out["complaints"] = complaints
    out["complaints_per_1000"] = 1000 * complaints / n if n else float("nan")
    vul = accounts["vulnerable"]
    n_vul = int(np.count_nonzero(vul))

    def vul_sum(col: str):  # the vulnerable rows of a column
        return accounts[col][vul].sum()

    out["vulnerable_accounts"] = float(n_vul)
    nan = float("nan")
    vul_owed = vul_sum("opening_balance") + vul_sum("interest") + vul_sum("fees")
    out["vulnerable_recovery_rate"] = float(vul_sum("paid") / vul_owed) if n_vul else nan
    out["vulnerable_complaints_per_1000"] = 1000 * float(vul_sum("complaints")) / n_vul if n_vul else nan
    out["refusals"] = float(sim.contact.objections["refuse"])
    out["disputes"] = float(sim.contact.objections["dispute"])
    for kind, t in sim.offers.tally.items():
        out[f"{kind}s_offered"] = float(t.offered)
        out[f"{kind}s_accepted"] = float(t.accepted)
    out["plans_completed"] = float(sim.offers.tally["plan"].completed)
    out["plans_broken"] = float(sim.offers.tally["plan"].broken)
    rules = sim.conduct.rules.all()
    out["violations"] = float(sum(sim.conduct.violations.values()))
    out["blocked"] = float(sum(sim.conduct.blocked.values()))
    out["deferred"] = float(sum(sim.conduct.deferred.values()))
    for rule in rules:
        out[f"violations.{rule.name}"] = float(sim.conduct.violations[rule.name])
        out[f"blocked.{rule.name}"] = float(sim.conduct.blocked[rule.name])
        out[f"deferred.{rule.name}"] = float(sim.conduct.deferred[rule.name])
    return out


def run_result(sim: Simulation, seed: int, *, take: bool = False) -> RunResult:
    """The ``RunResult`` of a finished simulation: per-account, team and cost tables, daily series, KPIs.

    ``take`` is for a simulation discarded once its result is built (``simulate``): the accounts table
    then takes the engine's per-account arrays as its columns rather than copying them, which at 1M
    accounts saves ~250 MB at the run's peak memory (the copy and the engine's arrays were both alive
    while the KPIs were computed). The values are the same either way. ``SteppedRun`` keeps its
    simulation reachable after the result (``view``), so its table is a copy, independent of the engine.
    """
    sc = sim.sc
    hv = sim.horizon.value(sc.horizon.days)
    accounts = _accounts(sim, hv, take=take)
    teams = _teams(sim)
    costs = _costs(sim, teams)
    category, cost = np.array([r[0] for r in costs]), np.array([r[2] for r in costs])  # as the costs table's columns
    kpis = metrics.portfolio_kpis(accounts, sc.horizon.days, float(cost.sum()))
    daily = sim.recorder.daily_columns()  # built once: the KPIs read it, the result returns it
    kpis.update(metrics.liquidation_points(daily["collected_cum"], kpis["owed"]))
    lifetime = metrics.lifetime_kpis(accounts, daily, kpis, sc.economy.cost_of_funds, sc.horizon.days, sc.chargeoff.dpd)
    kpis.update(lifetime)
    kpis.update({f"terminal_collections_{k}": v for k, v in hv.by_source.items()})
    for cat in ("channel", "team", "legal", "agency", "complaints") + (("recovery",) if sim.recovery else ()):
        kpis[f"cost_{cat}"] = float(cost[category == cat].sum())
    kpis.update(_bucket_kpis(sim, teams))
    if sc.agency.next_tiers:  # placements, collections and commission per agency tier
        for name, (placed, collected, fee) in sim.agency.tally.by_tier.items():
            kpis.update({f"agency_placements_{name}": placed, f"agency_collected_{name}": collected})
            kpis[f"agency_commission_{name}"] = fee
    lt, at = sim.legal.tally, sim.agency.tally
    kpis.update(
        {
            "legal_filed": lt.filed,
            "legal_served": lt.served,
            "legal_settled": lt.settled,
            "legal_won": lt.won,
            "legal_lost": lt.lost,
            "legal_contested": lt.contested,
            "legal_default_judgements": lt.default_judgements,
            "legal_enforcing": lt.enforcing,
            "legal_withdrawn": lt.withdrawn,
            "legal_pending": int(sim.state.legal_active.sum()),
            "legal_fees": lt.fees,
            "legal_collected": lt.collected,
            "agency_placements": at.placements,
            "agency_recalled": at.recalled,
            "agency_collected": at.collected,
            "agency_commission": at.commission,
        }
    )
    if sim.recovery is not None:
        kpis.update(_recovery_kpis(sim))
    kpis.update(_conduct_kpis(sim, accounts))
    for r in teams:
        for col in TEAM_KPIS:
            kpis[f"team.{r['team']}.{col}"] = r[col]
    for name, t in sim.contact.tally.items():
        kpis[f"channel.{name}.sent"] = t.sent
        kpis[f"channel.{name}.rpcs"] = t.rpcs
    kpis = {k: float(v) for k, v in kpis.items()}
    events = sim.recorder.events_table(list(sc.channels), sim.check.rule_names or ["-"], EVENT_OUTCOMES)
    meta = {
        "seed": seed,
        "scenario": sc.name,
        "accounts": sc.population.accounts,
        "days": sc.horizon.days,
        "simpy_events": int(next(sim.env._eid)),
    }
    return RunResult(
        kpis=kpis,
        daily=daily,
        accounts=accounts,
        teams=Rows(teams, TEAM_COLUMNS),
        costs=Rows(costs, ("category", "item", "cost")),
        events=events,
        meta=meta,
    )
