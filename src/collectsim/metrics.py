"""KPI definitions, computed from the per-account table so any saved run can be re-measured.

Buckets are 30 DPD wide (1–30, 31–60, …). An account counts towards a DPD-k
figure only if the horizon lets it be observed at DPD k (no censoring bias). Roll
rates carry the industry's names: ``roll_rate_30_60`` is the "30→60 roll", from
bucket 31–60 into 61–90.

Every function reads the table as ``Columns`` (numpy arrays, categorical columns as codes): the engine
passes its own, a DataFrame (a saved run, a user's table) is converted once at entry. A sum of a column
is ``_total``, the sum pandas' ``Series.sum`` made when these read DataFrames, so the KPIs are the same
bit for bit. Only the per-segment risk of a contractual schedule (``redefault_risk``) and the weekly service
level of a staffing run (``weekly_service``) still need pandas.
"""

from __future__ import annotations

import fnmatch
import math
from typing import TYPE_CHECKING

import numpy as np

from collectsim.results import Columns, as_columns, frame_days

if TYPE_CHECKING:
    import pandas as pd

    Table = Columns | pd.DataFrame

BUCKET_DAYS = 30
CURE_DPDS = (30, 60, 90)
ROLL_BUCKETS = 5
RESOLVED_AS_CURE = ("cured", "settled")
CHARGED_OFF = ("written_off", "recovered", "sold")  # recovered and sold accounts were written off first


def _safe(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def _total(values: np.ndarray) -> float:
    """A column's sum as ``Series.sum`` makes it on a numpy column: NaN counts as 0, then numpy's (pairwise) sum
    (on a nullable ``Float64`` column with NA pandas' own sum may differ in the last bit)."""
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        if missing.any():
            values = np.where(missing, 0.0, values)
    return float(values.sum())


def observed_to_dpd(acc: Table, horizon: int) -> np.ndarray:
    """The highest DPD at which each account is still inside the simulated horizon."""
    acc = as_columns(acc)
    return acc["entry_dpd"] + (horizon - 1 - acc["entry_day"])


def _open_at(entry_dpd: np.ndarray, res: np.ndarray, dpd: int) -> np.ndarray:
    """Accounts in collection at ``dpd``: entered at or below it, not resolved before it (``res``: NaN if never)."""
    return (entry_dpd <= dpd) & (np.isnan(res) | (res >= dpd))


def cure_rate(acc: Table, dpd: int, horizon: int) -> float:
    """Share of accounts delinquent at or before ``dpd`` that were paid or settled by ``dpd``."""
    acc = as_columns(acc)
    seen = (acc["entry_dpd"] <= dpd) & (observed_to_dpd(acc, horizon) >= dpd)
    cured = acc.is_in("status", RESOLVED_AS_CURE) & (acc["resolution_dpd"] <= dpd)
    return _safe(float((cured & seen).sum()), float(seen.sum()))


def roll_rate_name(b: int) -> str:
    """Industry name of the roll out of bucket ``b`` (1 = DPD 1–30): roll_rate_1_30, roll_rate_30_60, …"""
    return f"roll_rate_{max(1, BUCKET_DAYS * (b - 1))}_{BUCKET_DAYS * b}"


def roll_rates(acc: Table, horizon: int) -> dict[str, float]:
    """P(still open at the start of bucket b+1 | open at the start of bucket b), by industry name."""
    acc = as_columns(acc)
    if "reached_dpd_31_day" in acc:
        return contractual_roll_rates(acc, horizon)
    out = {}
    seen_to = observed_to_dpd(acc, horizon)
    entry, res = acc["entry_dpd"], acc["resolution_dpd"]
    for b in range(1, ROLL_BUCKETS + 1):
        start, nxt = BUCKET_DAYS * (b - 1) + 1, BUCKET_DAYS * b + 1
        base = _open_at(entry, res, start) & (seen_to >= nxt)
        rolled = base & _open_at(entry, res, nxt)
        out[roll_rate_name(b)] = _safe(float(rolled.sum()), float(base.sum()))
    return out


def contractual_roll_rates(acc: Table, horizon: int) -> dict[str, float]:
    """With statements DPD can hold or fall, so a roll is P(ever reach bucket b+1 | reached bucket b).

    An account counts for bucket b if it entered at or below b's first DPD and reached it at least
    30 days before the horizon's last day (the soonest it could roll); without a schedule this is the
    calendar definition above.
    """
    acc = as_columns(acc)
    out = {}
    entry = acc["entry_dpd"]
    starts = [BUCKET_DAYS * b + 1 for b in range(ROLL_BUCKETS + 1)]  # each day column read once, not twice
    days = {d: day_column(acc, f"reached_dpd_{d}_day") for d in starts if f"reached_dpd_{d}_day" in acc}
    for b in range(1, ROLL_BUCKETS + 1):
        start, nxt = starts[b - 1], starts[b]
        base, rolled = _reach(entry, start, days[start], days.get(nxt), horizon)
        out[roll_rate_name(b)] = _safe(float(rolled.sum()), float(base.sum()))
    return out


def contractual_reach(acc: Table, horizon: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Bucket b's accounts for a contractual roll (see ``contractual_roll_rates``), and those of them that
    ever reached bucket b+1 (none when b+1's first day is not recorded)."""
    acc = as_columns(acc)
    start, nxt = BUCKET_DAYS * (b - 1) + 1, BUCKET_DAYS * b + 1
    col = f"reached_dpd_{nxt}_day"
    after = day_column(acc, col) if col in acc else None
    return _reach(acc["entry_dpd"], start, day_column(acc, f"reached_dpd_{start}_day"), after, horizon)


def _reach(
    entry_dpd: np.ndarray, start: int, reached: np.ndarray, reached_next: np.ndarray | None, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """``contractual_reach`` off the bucket's and the next bucket's first days (``day_column``; None: not recorded)."""
    base = (entry_dpd <= start) & (reached + BUCKET_DAYS <= horizon - 1)  # NaN: never
    rolled = base & ~np.isnan(reached_next) if reached_next is not None else np.zeros_like(base)
    return base, rolled


def day_column(acc: Table, col: str) -> np.ndarray:
    """A day column as floats, NaN where the event did not happen (NA, a negative sentinel, text that is no
    number). A day column of ``Columns`` already is; any other column is converted."""
    if not isinstance(acc, Columns):
        return frame_days(acc[col])
    days = acc[col]
    return days if col in acc.days else np.where(days >= 0, days, np.nan)


def schedule_kpis(acc: Table) -> dict[str, float]:
    """Cures, sustained cures, re-defaults and re-ageing, with a contractual schedule (``[product]``).

    ``cure_rate_ever``: accounts that paid their arrears (or were re-aged) at least once ÷ accounts
    entered. ``sustained_cure_share``: of the accounts first cured at least ``sustained_days`` before
    the horizon, the share still current that long after (no re-default in between). ``redefault_rate``: accounts that
    re-defaulted ÷ accounts ever cured. ``performing_balance``: what cured accounts still owe at the
    horizon, current again (collections' success, not cash).
    """
    acc = as_columns(acc)
    if "cures" not in acc:
        return {}
    entered = ~acc.is_in("status", ("pending",))
    cured = acc["cures"] > 0
    sustained = acc["sustained_cure"].astype(float)  # NaN: no cure, or first cured too late to tell
    judged = ~np.isnan(sustained)
    return {
        "cure_rate_ever": _safe(float(cured.sum()), float(entered.sum())),
        "sustained_cure_share": _safe(float(sustained[judged].sum()), float(judged.sum())),
        "redefault_rate": _safe(float((acc["redefaults"] > 0).sum()), float(cured.sum())),
        "redefaults": _total(acc["redefaults"]),
        "reages": _total(acc["reages"]),
        "reaged_accounts": float((acc["reages"] > 0).sum()),
        "performing_balance": float(acc["outstanding"][acc.is_in("status", ("cured",))].sum()),
        "arrears_outstanding": float(acc["arrears"][acc.is_in("status", ("active",))].sum()),
        **statement_no_payment_rates(acc),
        **statement_roll_rates(acc),
    }


def statement_no_payment_rates(acc: Table) -> dict[str, float]:
    """P(no payment in the next statement cycle | 1–2 or 3+ months late at a statement): the UCI card data's
    measure (docs/sources.md, validation target T2: 0.47–0.51 and 0.81), exact with statements. A cycle ended
    by a cure counts as paid; one cut short by charge-off, settlement or the horizon is not counted."""
    acc = as_columns(acc)
    out = {}
    for name in ("1_2", "3_plus"):
        unpaid, cycles = _total(acc[f"statement_unpaid_{name}"]), _total(acc[f"statement_cycles_{name}"])
        out[f"statement_no_payment_rate_{name}"] = _safe(unpaid, cycles)
    return out


def statement_roll_rates(acc: Table) -> dict[str, float]:
    """The monthly roll, as the industry counts it: P(k + 1 or more months late at the next statement | k months
    late at this one), named by DPD bucket (``statement_roll_rate_30_60`` from one month late). An account that
    holds its bucket by paying one due a month counts once per month it holds, unlike ``roll_rate_*`` (ever
    reached the next bucket). A cycle ended by a cure counts as not rolled; one cut short by charge-off,
    settlement or the horizon is not counted."""
    acc = as_columns(acc)
    out = {}
    k = 1
    while f"statement_roll_cycles_{k}" in acc:
        rolled, cycles = _total(acc[f"statement_rolled_{k}"]), _total(acc[f"statement_roll_cycles_{k}"])
        out[f"statement_{roll_rate_name(k + 1)}"] = _safe(rolled, cycles)
        k += 1
    return out


def no_payment_rates(acc: Table, horizon: int) -> dict[str, float]:
    """P(no payment at all during bucket b | open at its start, observable to its end), by bucket name.

    The UCI card data's "no payment next month" by delinquency status (docs/sources.md, validation
    targets T2: ≈ 0.47–0.51 for 31–60 DPD, ≈ 0.81 from 91 DPD) is this, on 30-day buckets.
    """
    acc = as_columns(acc)
    out = {}
    seen_to = observed_to_dpd(acc, horizon)
    entry, res = acc["entry_dpd"], acc["resolution_dpd"]
    bits = acc["paid_buckets"]
    for b in range(1, ROLL_BUCKETS + 1):
        start, end = BUCKET_DAYS * (b - 1) + 1, BUCKET_DAYS * b
        base = _open_at(entry, res, start) & (seen_to >= end)
        none = base & ((bits >> (b - 1)) & 1 == 0)
        out[f"no_payment_rate_{start}_{end}"] = _safe(float(none.sum()), float(base.sum()))
    return out


def promise_kpis(acc: Table) -> dict[str, float]:
    """Kept rate over promises that came due: one cancelled by a cure or plan first was never tested."""
    acc = as_columns(acc)
    kept, broken = _total(acc["promises_kept"]), _total(acc["promises_broken"])
    return {
        "promises_made": _total(acc["promises"]),
        "promises_kept": kept,
        "promises_broken": broken,
        "promises_cancelled": _total(acc["promises_cancelled"]),
        "promise_kept_rate": _safe(kept, kept + broken),
    }


def intensity_kpis(acc: Table) -> dict[str, float]:
    """Share of accounts ever attempted ≥ 4 times in 7 days: calls and visits, among the accounts in collection and
    among those ever called or visited (the CFPB survey's denominator); any channel."""
    acc = as_columns(acc)
    entered = ~acc.is_in("status", ("pending",))
    n = float(entered.sum())
    intense = float(acc["intense_calls_week"][entered].sum())
    called = _total(acc["ever_called"])
    return {
        "share_4_calls_per_week": _safe(intense, n),
        "share_4_calls_per_week_called": _safe(intense, called),
        "share_4_contacts_per_week": _safe(float(acc["intense_any_week"][entered].sum()), n),
    }


def sale_kpis(acc: Table) -> dict[str, float]:
    """Debt sold to a buyer: face value, proceeds, realised price (proceeds ÷ face) and accounts."""
    acc = as_columns(acc)
    sold = _total(acc["sold"]) if "sold" in acc else 0.0
    proceeds = _total(acc["sale_proceeds"]) if "sale_proceeds" in acc else 0.0
    return {
        "debt_sold": sold,
        "sale_proceeds": proceeds,
        "sale_price_realised": _safe(proceeds, sold),
        "accounts_sold": float(acc.is_in("status", ("sold",)).sum()),
    }


def portfolio_kpis(acc: Table, horizon: int, total_cost: float) -> dict[str, float]:
    """Portfolio KPIs. ``collected`` and ``recovery_rate`` are borrower payments only; net recovery is
    collected + debt-sale proceeds − cost (the lender's cash), and ``recovery_rate_with_sale`` adds the
    proceeds. ``written_off`` is what is still written off on the lender's books (sold debt is not);
    ``write_off_rate`` is (written off + sold) ÷ owed: what charge-off left unpaid by borrowers.
    Rates are shares of what was ``owed`` over the run: the opening balance plus the interest and
    late fees charged while in collection (equal to the opening balance without a ``[interest]`` table)."""
    acc = as_columns(acc)
    n = acc.rows
    opening = _total(acc["opening_balance"])
    interest = _total(acc["interest"])
    fees = _total(acc["fees"])
    owed = opening + interest + fees
    collected = _total(acc["paid"])
    res_day = acc["resolution_day"]  # NaN: never resolved
    sale = sale_kpis(acc)
    cash = collected + sale["sale_proceeds"]
    kpis = {
        "accounts": float(n),
        "opening_balance": opening,
        "interest_accrued": interest,
        "fees_charged": fees,
        "owed": owed,
        "collected": collected,
        "recovery_rate": _safe(collected, owed),
        "recovery_rate_with_sale": _safe(cash, owed),
        "discount": _total(acc["discount"]),
        "written_off": _total(acc["written_off"]),
        "outstanding": _total(acc["outstanding"]),
        "write_off_rate": _safe(_total(acc["written_off"]) + sale["debt_sold"], owed),
        "write_off_account_rate": _safe(float(acc.is_in("status", CHARGED_OFF).sum()), n),
        "recovered_after_write_off": _total(acc["recovered_after_write_off"]),
        "recovered_accounts": float(acc.is_in("status", ("recovered",)).sum()),
        **sale,
        "total_cost": total_cost,
        "net_recovery": cash - total_cost,
        "cost_per_unit_collected": _safe(total_cost, collected),
        "collected_per_account": _safe(collected, n),
        "cost_per_account": _safe(total_cost, n),
        "net_recovery_per_account": _safe(cash - total_cost, n),
    }
    for d in CURE_DPDS:
        kpis[f"cure_rate_dpd{d}"] = cure_rate(acc, d, horizon)
    kpis.update(roll_rates(acc, horizon))
    if "paid_buckets" in acc:
        kpis.update(no_payment_rates(acc, horizon))
    kpis.update(schedule_kpis(acc))
    days = (res_day - acc["entry_day"])[res_day >= 0]
    kpis["mean_days_to_resolution"] = float(days.mean()) if len(days) else float("nan")
    kpis["attempts_per_account"] = _safe(_total(acc["attempts"]), n)
    kpis["contacts_per_account"] = _safe(_total(acc["contacts"]), n)
    kpis["rpc_per_account"] = _safe(_total(acc["rpcs"]), n)
    kpis.update(promise_kpis(acc))
    kpis.update(intensity_kpis(acc))
    return kpis


LIQUIDATION_STEP = 10


def liquidation_points(collected_cum: np.ndarray, owed: float) -> dict[str, float]:
    """Cumulative share of what was owed (opening balance, interest, fees) collected by the end of day 10, 20, …

    For a cohort entering at DPD 1 this is the liquidation curve by days past due;
    carried as KPIs so every replication and sweep point keeps its curve.
    """
    days = np.arange(LIQUIDATION_STEP, collected_cum.size + 1, LIQUIDATION_STEP)
    return {f"liquidation_d{d:03d}": _safe(float(collected_cum[d - 1]), owed) for d in days}


def weekly_service(daily: pd.DataFrame, team: str) -> dict[str, float]:
    """Service level per week, done ÷ (due − voided), from a run's daily series (weeks with no live work omitted).

    On the DataFrame: pandas' grouped sums are compensated (Kahan), and staffing runs report these figures.
    """
    week = daily["day"] // 7
    due = (daily[f"due_{team}"] - daily[f"voided_{team}"]).groupby(week).sum()
    done = daily[f"done_{team}"].groupby(week).sum()
    return {f"service_level_week_{int(w):02d}": float(done[w] / due[w]) for w in due.index if due[w] > 0}


def lifetime_kpis(
    acc: Table,
    daily: Table,
    kpis: dict[str, float],
    annual_rate: float,
    horizon: int,
    chargeoff_dpd: int = 180,
):
    """Money over the account's life: the horizon's open value added, and cash flows discounted to day 0.

    ``ecl_at_entry`` is what the cohort loses: what was owed less what is recovered (discounted) and, with a
    contract, less the balance cured back to performing net of the lifetime loss provided for it. That net
    balance, discounted from the horizon, is what ``npv_with_performing`` adds to the cash NPV: on a contract
    collection brings back balances as well as cash, and a cheaper policy can win on cash alone.

    Cash collected (borrower payments and debt-sale proceeds) or spent on day d counts at the end of
    that day, discounted by e^{−ρ(d+1)} with e^{−365ρ} = 1/(1 + annual_rate); the expected value of
    what is open at the horizon (collections less agency commission and enforcement fees, untreated
    after the horizon; a sold account is worth nothing) is discounted from the horizon. At a 0% rate
    ``npv`` = ``net_value`` = net recovery + expected net value after the horizon.
    """
    acc, daily = as_columns(acc), as_columns(daily)
    rho = math.log1p(annual_rate) / 365.0
    day = daily["day"].astype(float)
    proceeds = daily.get("sale_proceeds", 0.0)
    flows = daily["collected"] + proceeds - daily["cost"]
    in_horizon = float((flows * np.exp(-rho * (day + 1))).sum())
    after = _total(acc["expected_after_horizon"])
    after_costs = _total(acc["expected_costs_after_horizon"])
    after_pv = _total(acc["expected_after_horizon_pv"] - acc["expected_costs_after_horizon_pv"])
    after_today = math.exp(-rho * horizon) * after_pv
    npv = in_horizon + after_today
    owed = kpis["owed"]
    left = np.where(acc.is_in("status", ("written_off",)), acc["written_off"], acc["outstanding"])
    still_open = float(left[acc["open_at_horizon"]].sum())
    recovered_pv = float(((daily["collected"] + proceeds) * np.exp(-rho * (day + 1))).sum())
    gross_after_today = math.exp(-rho * horizon) * _total(acc["expected_after_horizon_pv"])
    provisions = provision_kpis(acc, horizon, chargeoff_dpd)
    # With a contract a cure leaves the balance performing: not lost, except the lifetime loss provided for it.
    performing = kpis.get("performing_balance", 0.0) - provisions.get("allowance_performing_lifetime", 0.0)
    ecl = owed - recovered_pv - gross_after_today - performing  # sale proceeds recover part of the loss too
    book = (
        {}
        if "allowance_performing_lifetime" not in provisions
        else {"npv_with_performing": npv + math.exp(-rho * horizon) * performing}
    )
    return {
        **provisions,
        **book,
        "ecl_at_entry": ecl,
        "ecl_rate_at_entry": _safe(ecl, owed),
        "open_share_at_horizon": _safe(still_open, owed),
        "terminal_collections": after,
        "terminal_costs": after_costs,
        "terminal_value": after_pv,
        "recovery_rate_with_terminal": _safe(kpis["collected"] + after, owed),
        "net_value": kpis["net_recovery"] + after - after_costs,
        "npv": npv,
        "npv_after_horizon": after_today,
        "npv_per_account": _safe(npv, kpis["accounts"]),
    }


IN_COURT = ("filed", "served", "won", "enforcing")  # legal stages of a case under way (the debt accelerated)
STAGE_DPD = (30, 90)  # IFRS 9: more than 30 DPD is a significant increase in credit risk, more than 90 is impaired
YEAR_DAYS = 365.0  # the 12 months of a 12-month ECL
MONTH_DAYS = 30.0  # the month of ``redefault_monthly``


def provision_kpis(acc: Table, horizon: int, chargeoff_dpd: int = 180) -> dict[str, float]:
    """The loss allowance at the horizon for accounts still on the book (open, not written off).

    Each account in collection carries a lifetime expected credit loss: what it owes less the
    discounted value of its expected collections after the horizon (the simulation's own, untreated).
    IFRS 9 stages by DPD: 1 (≤ 30), 2 (31–90), 3 (> 90). A delinquent account is charged off within
    12 months (at 180 DPD at the latest), so its 12-month ECL equals its lifetime ECL.

    With a contractual schedule (``[product]``: the accounts table has ``dpd`` and ``cured_days``) DPD
    is the account's contractual DPD at the horizon, and cured accounts stay on the book with their
    performing balance: stage 1 (current), 12-month ECL = PD₁₂ × LGD × EAD under IFRS 9, lifetime ECL
    under CECL (``performing_ecl``). An account in collection then owes its arrears, not its balance:
    with the run's odds that it cures (``cure_odds``) the rest of its balance performs again, less the
    loss provided for a performing balance (12 months in stage 1 under IFRS 9, else its lifetime). Only
    then do the two allowances differ, and only then are ``allowance_cecl_at_horizon`` and the risk
    parameters reported (a run without a schedule keeps its KPI set: the pinned runs compare it whole).
    """
    # Stages as int8: at 1M accounts the int64 and object temporaries made this the run's peak memory (issue 15).
    acc = as_columns(acc)
    on_book = acc.is_in("status", ("active",))
    owed = acc["outstanding"]
    lost = np.maximum(owed - acc["expected_after_horizon_pv"], 0.0) * on_book
    by_calendar = acc["entry_dpd"] + horizon - acc["entry_day"]
    dpd = acc.get("dpd", by_calendar)  # contractual DPD with a schedule
    one, two, three = np.int8(1), np.int8(2), np.int8(3)
    stage = np.where(dpd <= STAGE_DPD[0], one, np.where(dpd <= STAGE_DPD[1], two, three))
    if "cured_days" not in acc:
        exposure = float(owed[on_book].sum())
        out = {f"allowance_stage_{k}": float(lost[stage == k].sum()) for k in (1, 2, 3)}
        out["allowance_at_horizon"] = float(lost.sum())
        out["exposure_at_horizon"] = exposure
        out["coverage_at_horizon"] = _safe(float(lost.sum()), exposure)
        return out
    risk = redefault_risk(acc)
    rate_12m, rate_life = performing_loss_rates(acc, risk)
    # What a cure brings back: the balance beyond the arrears, performing again, net of its own loss.
    back = cure_odds(acc, horizon, chargeoff_dpd) * np.maximum(owed - acc["arrears"], 0.0) * on_book
    collection_ifrs9 = np.maximum(lost - back * (1.0 - np.where(stage == one, rate_12m, rate_life)), 0.0)
    collection_cecl = np.maximum(lost - back * (1.0 - rate_life), 0.0)
    perf = performing_ecl(acc, (rate_12m, rate_life))
    ifrs9 = collection_ifrs9 + perf["ecl_12m"]
    cecl = collection_cecl + perf["ecl_lifetime"]
    exposure = float(owed[on_book].sum() + perf["ead"].sum())
    out = {f"allowance_stage_{k}": float(ifrs9[stage == k].sum()) for k in (1, 2, 3)}
    out["allowance_at_horizon"] = float(ifrs9.sum())
    out["allowance_cecl_at_horizon"] = float(cecl.sum())
    out["allowance_performing_12m"] = float(perf["ecl_12m"].sum())
    out["allowance_performing_lifetime"] = float(perf["ecl_lifetime"].sum())
    out["exposure_at_horizon"] = exposure
    out["coverage_at_horizon"] = _safe(float(ifrs9.sum()), exposure)
    out["coverage_cecl_at_horizon"] = _safe(float(cecl.sum()), exposure)
    h = risk.attrs["portfolio_hazard"]
    out["redefault_monthly_observed"] = 1.0 - math.exp(-h * MONTH_DAYS) if not math.isnan(h) else h
    out["pd_12m_observed"] = 1.0 - math.exp(-h * YEAR_DAYS) if not math.isnan(h) else h
    out["lgd_observed"] = risk.attrs["portfolio_lgd"]
    return out


def cure_odds(acc: Table, horizon: int, chargeoff_dpd: int) -> np.ndarray:
    """Per account, the odds that an account in collection at the horizon cures rather than being charged off,
    from the run's own contractual roll rates, as a bank's flow-rate model takes them: an account in bucket b
    is charged off if it rolls through every bucket up to the charge-off bucket c, P = Π_{b ≤ j < c} roll_j,
    and reaching c is taken as charge-off. A roll the run could not observe counts as certain (no credit for a
    cure), and so does a court case (the debt is accelerated: there are no arrears to pay up)."""
    acc = as_columns(acc)
    rolls = contractual_roll_rates(acc, horizon)
    last = min((chargeoff_dpd - 1) // BUCKET_DAYS + 1, ROLL_BUCKETS + 1)
    flow = np.ones(ROLL_BUCKETS + 2)  # flow[b]: P(charged off | in bucket b); bucket 0 unused
    for b in range(last - 1, 0, -1):
        roll = rolls[roll_rate_name(b)]
        flow[b] = (1.0 if math.isnan(roll) else roll) * flow[b + 1]
    bucket = np.clip((acc["dpd"] - 1) // BUCKET_DAYS + 1, 1, ROLL_BUCKETS + 1)
    in_court = acc.is_in("legal_stage", IN_COURT) if "legal_stage" in acc else False
    return np.where(in_court, 0.0, 1.0 - flow[bucket])


def _hazard(events: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Daily hazard from re-defaults over days at risk: a cure's clock gives a geometric number of days,
    so P(re-default on a given day) = events ÷ days = 1 − e^{−h}. NaN where nothing was at risk."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(days > 0, events / np.where(days > 0, days, 1.0), np.nan)
        return -np.log1p(-np.minimum(p, 1.0))


def redefault_risk(acc: Table) -> pd.DataFrame:
    """The run's own risk parameters for a cured account, by segment: daily re-default hazard and LGD.

    By segment, because the segment is what a bank observes (the latent reason that sets the true
    re-default odds is not) and segments differ in their mix of reasons; a segment with no day at risk
    takes the portfolio's hazard. The hazard is re-defaults ÷ days cured with a balance (``_hazard``).
    LGD is what collection lost on the accounts that entered it, as a share of what they owed (opening
    balance, interest, fees): 1 − (collected + sale proceeds + expected collections after the horizon +
    balances cured back to performing) ÷ owed, undiscounted. A cured balance counts as recovered: its
    own future loss is what this PD × LGD provides for, and counting it lost too would count it twice.
    The portfolio's figures are in ``attrs`` (``portfolio_hazard``: NaN when nothing was at risk;
    ``portfolio_lgd``).

    The sums by segment stay pandas' grouped sums (compensated, Kahan): a numpy sum rounds differently,
    and these KPIs are pinned bit for bit. So a run with a contractual schedule imports pandas here.
    """
    import pandas as pd

    acc = as_columns(acc)
    entered = ~acc.is_in("status", ("pending",))
    cured = acc.is_in("status", ("cured",))
    owed = (acc["opening_balance"] + acc["interest"] + acc["fees"]) * entered
    back = (
        acc["paid"] + acc["sale_proceeds"] + acc["expected_after_horizon"] + np.where(cured, acc["outstanding"], 0.0)
    ) * entered
    parts = pd.DataFrame(
        {
            "segment": pd.Categorical.from_codes(acc.codes("segment"), list(acc.labels("segment"))),
            "events": acc["redefaults"].astype(float),
            "days": acc["cured_days"].astype(float),
            "owed": owed,
            "back": back,
        }
    )
    by = parts.groupby("segment", observed=True)[["events", "days", "owed", "back"]].sum()
    total = by.sum()
    portfolio_h = float(_hazard(np.array([total["events"]]), np.array([total["days"]]))[0])
    hazard = _hazard(by["events"].to_numpy(), by["days"].to_numpy())
    out = pd.DataFrame(
        {
            "hazard": np.where(np.isnan(hazard), portfolio_h, hazard),
            "lgd": np.clip(1.0 - by["back"] / by["owed"].where(by["owed"] > 0), 0.0, 1.0),
        },
        index=by.index,
    )
    out.attrs["portfolio_hazard"] = portfolio_h
    out.attrs["portfolio_lgd"] = float(np.clip(1.0 - _safe(total["back"], total["owed"]), 0.0, 1.0))
    return out


def performing_loss_rates(acc: Table, risk: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per account, the share of a performing balance lost over 12 months and over its remaining life:
    PD × LGD with the segment's ``redefault_risk``, PD over t days = 1 − e^{−h·t}, t = 365 or the account's
    ``remaining_life_days``. Where the run saw no day at risk the PD is 0."""
    acc = as_columns(acc)
    risk = redefault_risk(acc) if risk is None else risk
    h = np.nan_to_num(by_segment(acc, risk["hazard"]), nan=0.0)
    lgd = np.nan_to_num(by_segment(acc, risk["lgd"]), nan=0.0)
    life = acc["remaining_life_days"].astype(float)
    return -np.expm1(-h * YEAR_DAYS) * lgd, -np.expm1(-h * life) * lgd


def by_segment(acc: Table, values: pd.Series) -> np.ndarray:
    """Per account, the value of a series indexed by segment; NaN for a segment the series lacks (or none).

    Read through the segment's codes: reindexing the series on every account's label took ~0.15 s per call
    at 100k accounts (string labels compared one by one), a gather by code ~1 ms.
    """
    acc = as_columns(acc)
    per_label = values.reindex(list(acc.labels("segment"))).to_numpy(dtype=float)
    return np.append(per_label, np.nan)[acc.codes("segment")]  # code −1 (no segment) reads the NaN


def performing_ecl(acc: Table, rates: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per account: the performing exposure (a cured account's balance) and its 12-month and lifetime ECL.

    ECL = PD × LGD × EAD (``performing_loss_rates``). EAD is the balance at the horizon, held over the whole
    life (no amortisation, no undrawn limit), and the loss is not discounted. ``rates``: the book's own
    ``performing_loss_rates`` if already computed.
    """
    acc = as_columns(acc)
    ead = np.where(acc.is_in("status", ("cured",)), acc["outstanding"], 0.0)
    rate_12m, rate_life = performing_loss_rates(acc) if rates is None else rates
    return {"ead": ead, "ecl_12m": rate_12m * ead, "ecl_lifetime": rate_life * ead}


# Which KPIs are fractions, and which may be undefined. Declared here, beside the functions that name
# them, so a new KPI is classified where it is defined; a pattern's '*' stands for a team name or a number.
FRACTION_KPIS: tuple[str, ...] = (
    "recovery_rate",
    "recovery_rate_with_sale",
    "recovery_rate_with_terminal",
    "write_off_rate",
    "write_off_account_rate",
    "sale_price_realised",
    "recovery_stage_yield",
    "promise_kept_rate",
    "share_4_calls_per_week",
    "share_4_calls_per_week_called",
    "share_4_contacts_per_week",
    "open_share_at_horizon",
    "coverage_at_horizon",
    "coverage_cecl_at_horizon",
    "redefault_monthly_observed",
    "pd_12m_observed",
    "lgd_observed",
    "ecl_rate_at_entry",
    "vulnerable_recovery_rate",
    "cure_rate_dpd*",
    "cure_rate_ever",
    "sustained_cure_share",
    "redefault_rate",
    "statement_no_payment_rate_*",
    "statement_roll_rate_*",
    "roll_rate_*",
    "no_payment_rate_*",
    "liquidation_d*",
    "team.*.utilisation",
    "team.*.service_level",
    "team.*.inbound_service_level",
)
# Ratios whose denominator can be empty (no vulnerable borrower, no inbound call, no debt sold, a DPD
# the horizon never reaches): NaN there means "nothing to measure", and reports show it as a blank.
UNDEFINED_WHEN_EMPTY: tuple[str, ...] = (
    "sale_price_realised",
    "recovery_stage_yield",
    "promise_kept_rate",
    "share_4_calls_per_week",
    "share_4_calls_per_week_called",
    "share_4_contacts_per_week",
    "coverage_at_horizon",
    "coverage_cecl_at_horizon",
    "redefault_monthly_observed",
    "pd_12m_observed",
    "lgd_observed",
    "vulnerable_recovery_rate",
    "vulnerable_complaints_per_1000",
    "cost_per_unit_collected",
    "mean_days_to_resolution",
    "cost_to_collect_*",
    "cure_rate_dpd*",
    "sustained_cure_share",
    "redefault_rate",
    "statement_no_payment_rate_*",
    "statement_roll_rate_*",
    "roll_rate_*",
    "no_payment_rate_*",
    "team.*.utilisation",
    "team.*.service_level",
    "team.*.wait_mean_days",
    "team.*.inbound_asa_s",
    "team.*.inbound_service_level",
)


def _declared(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def is_fraction(kpi: str) -> bool:
    """Whether ``kpi`` is a share in [0, 1] (shown as a percentage)."""
    return _declared(kpi, FRACTION_KPIS)


def impossible_kpis(kpis: dict[str, float]) -> list[str]:
    """KPIs no run can produce: infinite anywhere, NaN outside ``UNDEFINED_WHEN_EMPTY``, fractions outside [0, 1].

    Empty when the run is sound; each entry names the KPI and its value. A tolerance of 1e-9 absorbs
    rounding in fractions computed from sums of many cents.
    """
    out = []
    for name, value in kpis.items():
        if math.isnan(value):
            if not _declared(name, UNDEFINED_WHEN_EMPTY):
                out.append(f"{name} = nan (not a ratio that may be undefined)")
        elif math.isinf(value):
            out.append(f"{name} = {value}")
        elif _declared(name, FRACTION_KPIS) and not -1e-9 <= value <= 1 + 1e-9:
            out.append(f"{name} = {value!r} (a fraction, outside [0, 1])")
    return out
