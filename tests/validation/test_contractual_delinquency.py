"""Contractual delinquency against the way banks age accounts (docs/model-mechanics.md).

A due of size m falls every 30 days; DPD is the age of the oldest unpaid due. Paying one due a
cycle holds the bucket, paying two lowers it, paying the arrears cures and leaves the balance
performing; a plan holds DPD; re-ageing obeys its streak and its 12-month and 5-year limits on
any payment path; re-defaults come at the rate the scenario gives; money is conserved.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import collectsim as cs
from collectsim.engine.accounts.interest import Accrual
from collectsim.engine.accounts.schedule import Schedule
from collectsim.engine.accounts.state import ACTIVE, CURED, FILED, LOST, AccountState, Population
from collectsim.rng import Streams
from collectsim.scenario.schema import Interest, Product, Reage

CYCLE = 30
HORIZON = 365  # days a unit schedule may plan re-defaults for; the tests here run at most 180


def accounts(n: int = 1, balance: float = 1000.0, entry_dpd: int = 1) -> AccountState:
    z = np.zeros(n)
    fields = {f: z.copy() for f in Population.__dataclass_fields__}
    fields.update(
        balance=np.full(n, balance),
        entry_dpd=np.full(n, entry_dpd, dtype=np.int32),
        entry_day=np.zeros(n, dtype=np.int32),
        reason=np.zeros(n, dtype=np.int64),
    )
    s = AccountState(Population(**fields))
    s.status[:] = ACTIVE
    s.in_house[:] = True
    return s


def schedule(s: AccountState, *, reage: Reage | None = None, redefault: float = 0.0, **product) -> Schedule:
    spec = Product(kind="revolving", minimum_due_share=0.05, minimum_due_floor=0.0, **product)
    spec = spec.model_copy(update={"redefault_monthly": {"r": redefault}})
    return Schedule(spec, reage, ("r",), s, Streams(7), horizon=HORIZON)


def morning(sch: Schedule, day: int) -> None:
    """The schedule's morning, with every account arriving on day 0 (as ``accounts`` makes them)."""
    sch.morning(day, np.arange(sch.s.n) if day == 0 else np.zeros(0, dtype=np.int64))


def test_in_court_an_account_ages_by_the_calendar_whatever_it_pays() -> None:
    """A suit accelerates the debt: the account in court (1) keeps ageing a day a day through a payment of
    one due that makes the same account out of court (0) a cycle younger."""
    s = accounts(2)
    sch = schedule(s)
    s.legal_active[1] = True
    seen = []
    for day in range(70):
        morning(sch, day)
        if day == 40:
            s.book_payment(np.array([0, 1]), np.array([50.0, 50.0]), day)
        sch.evening(day)
        seen.append(s.dpd[:2].tolist())
    assert [b for _, b in seen] == list(range(1, 71))
    assert seen[41][0] == seen[40][0] + 1 - CYCLE  # one of its two dues paid


def test_when_a_court_case_ends_the_account_ages_from_its_arrears_again_or_cures() -> None:
    """Both accounts pay in court; account 0 one due of the three it owes, account 1 all three. When the case
    ends (lost) account 0 is a cycle younger than the calendar made it, and account 1 cures at once."""
    s = accounts(2, entry_dpd=31)
    sch = schedule(s)
    for day in range(50):
        if day == 5:
            s.legal_active[:] = True
            s.legal_stage[:] = FILED
        morning(sch, day)
        if day == 40:
            s.book_payment(np.array([0, 1]), np.array([50.0, 150.0]), day)
        sch.evening(day)
    assert s.dpd[:2].tolist() == [80, 80] and s.status[1] == ACTIVE  # the calendar, whatever was paid
    s.legal_active[:] = False
    s.legal_stage[:] = LOST
    morning(sch, 50)
    assert s.dpd[0] == 81 - CYCLE and s.status[1] == CURED


def test_an_account_entering_late_has_reached_every_bucket_below_its_dpd() -> None:
    s = accounts(entry_dpd=45)
    sch = schedule(s)
    for day in range(20):
        morning(sch, day)
    assert sch.reach_day[:, 0].tolist() == [0, 0, 16, -1, -1, -1]  # DPD 45 on day 0, 61 on day 16


def test_late_fees_fall_only_on_accounts_accruing_in_house() -> None:
    """Each due date that finds a due unpaid charges the fee to an account in house (0), not to one placed at
    an agency (1) or in court (2), whose balance is frozen."""
    s = accounts(3)
    sch = schedule(s)
    accrual = Accrual(Interest(late_fee=30.0), s, sch)
    s.in_house[1] = False
    s.legal_active[2] = True
    for day in range(65):
        morning(sch, day)
        accrual.morning(day)
        sch.evening(day)
    assert s.fees[:3].tolist() == [60.0, 0.0, 0.0]  # the dues of days 29 and 59 found the last one unpaid


def test_an_unpaid_account_ages_one_dpd_a_day_and_its_arrears_grow_a_due_a_cycle() -> None:
    s = accounts()
    sch = schedule(s)
    seen = []
    for day in range(95):
        morning(sch, day)
        seen.append((int(s.dpd[0]), float(s.arrears[0])))
    assert [d for d, _ in seen] == list(range(1, 96))
    assert seen[0][1] == 50.0 and seen[29][1] == 100.0 and seen[59][1] == 150.0  # dues at DPD 30, 60, …
    assert sch.reach_day[:, 0].tolist() == [0, 30, 60, 90, -1, -1]


def test_a_minimum_payment_each_cycle_holds_the_bucket() -> None:
    """Two dues behind, one due paid a cycle: each statement finds two dues unpaid (DPD 30), never three.

    Without the payments its oldest due is 60 days old at the first statement and 30 days older at each next.
    """
    for pay, at_statements in ((50.0, {30}), (0.0, {60, 90, 120, 150, 180, 210})):
        s = accounts(entry_dpd=31)
        sch = schedule(s)
        seen = set()
        for day in range(180):
            morning(sch, day)
            if day % CYCLE == CYCLE - 1:
                seen.add(int(s.dpd[0]))
            if day % CYCLE == 10 and pay:
                s.book_payment(np.array([0]), np.array([pay]), day)
            sch.evening(day)
        assert seen == at_statements
        assert s.status[0] == ACTIVE


def test_paying_the_only_due_cures() -> None:
    s = accounts()
    sch = schedule(s)
    morning(sch, 0)
    assert s.book_payment(np.array([0]), np.array([50.0]), 0).tolist() == [0]
    assert s.status[0] == CURED and s.balance[0] == pytest.approx(950.0)


def test_paying_two_dues_lowers_the_bucket_and_the_arrears_cure() -> None:
    s = accounts(entry_dpd=45)
    sch = schedule(s)
    morning(sch, 0)
    assert s.dpd[0] == 45 and s.arrears[0] == 100.0  # two dues missed: DPD 45 is in bucket 31–60
    s.book_payment(np.array([0]), np.array([50.0]), 0)
    morning(sch, 1)
    assert s.dpd[0] == 16  # the oldest due is paid: the next oldest fell 16 days ago
    done = s.book_payment(np.array([0]), np.array([50.0]), 1)
    assert done.tolist() == [0] and s.status[0] == CURED
    assert s.balance[0] == pytest.approx(900.0)  # the rest of the balance is performing, still owed
    assert s.conservation_error() < 1e-9
    sch.evening(1)
    morning(sch, 2)
    assert s.dpd[0] == 0 and sch.cures[0] == 1


def test_a_partial_payment_counts_towards_the_oldest_due_only_when_it_covers_it() -> None:
    s = accounts(entry_dpd=45)
    sch = schedule(s)
    morning(sch, 0)
    s.book_payment(np.array([0]), np.array([49.0]), 0)
    morning(sch, 1)
    assert s.dpd[0] == 46  # one cent short of the oldest due: still that old
    assert s.collectible(np.array([0]))[0] == pytest.approx(51.0)


def test_a_plan_holds_dpd_while_it_lasts() -> None:
    s = accounts()
    sch = schedule(s)
    for day in range(40):
        s.on_plan[0] = 10 <= day < 25
        morning(sch, day)
        if 10 <= day < 25:
            assert s.dpd[0] == 10, day
    assert s.dpd[0] == 40 - 15


def test_a_court_case_accelerates_the_whole_balance() -> None:
    s = accounts()
    morning(schedule(s), 0)
    assert s.collectible(np.array([0]))[0] == 50.0
    s.legal_active[0] = True
    assert s.collectible(np.array([0]))[0] == 1000.0


def _reage_path(pays: list[int], reage: Reage) -> tuple[Schedule, list[int], AccountState]:
    """Pay ``pays[c]`` dues in cycle c (re-defaulting a month after each cure) and return the re-age days."""
    s = accounts(balance=1e7, entry_dpd=31)  # two dues behind; due dates on days 29, 59, …
    sch = schedule(s, reage=reage, redefault=1.0)
    days = []
    for day in range(len(pays) * CYCLE):
        morning(sch, day)
        if sch.reages[0] > len(days):
            assert sch.next_due[0] == day + CYCLE  # re-aged on a due date
            days.append(day)
        c = day // CYCLE
        if day % CYCLE == 15 and pays[c] and s.status[0] == ACTIVE:
            s.book_payment(np.array([0]), np.array([pays[c] * sch.due[0]]), day)
        sch.evening(day)
    return sch, days, s


@settings(max_examples=60, deadline=None)
@given(
    pays=st.lists(st.sampled_from([0, 1, 1, 1, 2]), min_size=10, max_size=100),
    k=st.integers(1, 4),
    per_year=st.integers(1, 2),
    per_five=st.integers(1, 3),
)
def test_reageing_obeys_its_streak_and_limits_on_any_payment_path(pays, k, per_year, per_five) -> None:
    reage = Reage(consecutive_payments=k, per_12_months=per_year, per_5_years=per_five)
    sch, days, s = _reage_path(pays, reage)
    for i, d in enumerate(days):
        assert sum(1 for e in days[: i + 1] if e > d - 365) <= per_year
        assert sum(1 for e in days[: i + 1] if e > d - 1825) <= per_five
    assert s.conservation_error() < 1e-6 * 1e7
    assert sch.reages[0] == len(days)


def test_reageing_comes_after_the_streak_and_not_before() -> None:
    reage = Reage(consecutive_payments=3)
    # A one-due payment in each of the cycles ending on days 29, 59 and 89 makes three.
    sch, days, _ = _reage_path([1, 1, 1, 0, 0], reage)
    assert days == [89]
    # Panel: paid cycles to days 59 and 89 (the re-age ends the second, counted once), an unpaid one to 149.
    assert sch.cycles[0, 0] == 3 and sch.unpaid_cycles[0, 0] == 1
    _, days, _ = _reage_path([1, 1, 0, 1, 1, 0], reage)
    assert days == []  # the streak broke in cycle 2
    _, days, _ = _reage_path([0.9] * 8, reage)
    assert days == []  # paying, but less than a due a cycle
    _, days, _ = _reage_path([1, 1, 1] * 6, reage)
    assert len(days) >= 2 and days[1] - days[0] >= 365


@pytest.mark.parametrize(("back_on", "sustained"), [(100, 1.0), (50, 0.0)])
def test_a_first_cure_lasting_long_enough_is_sustained_even_if_it_later_fails(back_on: int, sustained: float) -> None:
    s = accounts()
    sch = schedule(s, sustained_days=90)
    for day in range(150):
        morning(sch, day)
        if day == 0:
            s.book_payment(np.array([0]), np.array([50.0]), day)
        sch.evening(day)
        if day == 0:
            sch.plan_redefault(np.array([0]), np.array([back_on]))
    assert sch.redefaults[0] == 1 and s.status[0] == ACTIVE
    assert sch.sustained(150)[0] == sustained


def test_redefaults_are_kept_by_day_in_order_and_only_within_the_horizon() -> None:
    """``plan_redefault`` files each cure under its day, in the order given, and drops days past the horizon."""
    sch = schedule(accounts(6))
    sch.plan_redefault(np.array([5, 1, 3, 0, 4]), np.array([9, 2, 9, HORIZON, 2], dtype=np.int32))
    sch.plan_redefault(np.array([2]), np.array([9], dtype=np.int32))
    assert sorted(sch.comebacks) == [2, 9]
    assert [a.tolist() for a in sch.comebacks[2]] == [[1, 4]]
    assert [a.tolist() for a in sch.comebacks[9]] == [[5, 3], [2]]
    sch.plan_redefault(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
    assert sorted(sch.comebacks) == [2, 9]


NO_TREATMENT = """
name = "redefault"
[horizon]
days = 240
[population]
accounts = 4000
[population.segments.all]
share = 1.0
balance = { dist = "uniform", low = 500.0, high = 1500.0 }
reasons = { payer = 1.0 }
[reasons.payer]
lambda_inf = 0.05
heterogeneity = 0.0
ability = 1.0
[product]
kind = "revolving"
redefault_monthly = { payer = 0.2 }
[channels.sms]
[policy.ladders.none]
stages = []
"""


def test_redefault_rate_matches_its_input() -> None:
    """Each cure re-defaults after Exp(h) days, 1 − e^{−30h} = 0.2: P(by the horizon) is known per account."""
    res = cs.simulate(cs.scenario.scenario_from_dict(tomllib.loads(NO_TREATMENT)), seed=3, check_invariants=True)
    acc = res.accounts
    first = acc["first_cure_day"].to_numpy(dtype=float)
    cured = ~np.isnan(first)  # NA: never cured
    h = -math.log(0.8) / 30
    expected = 1 - np.exp(-h * np.floor(240 - 1 - first[cured]))
    observed = acc["redefaults"].to_numpy()[cured] > 0
    se = math.sqrt(float((expected * (1 - expected)).sum())) / cured.sum()
    assert abs(observed.mean() - expected.mean()) < 3 * se + 1e-3, (observed.mean(), expected.mean())
    assert res.kpis["redefault_rate"] == pytest.approx(observed.mean())
    assert res.kpis["cure_rate_ever"] > 0.9  # everyone pays the arrears in full
    assert res.kpis["performing_balance"] > 0


def test_a_redefault_is_a_new_episode_whose_intensity_starts_afresh() -> None:
    """Re-defaulting borrowers start again from λ₀: with λ∞ = 0 the old episode's intensity has long
    decayed (κ = 0.1), so only a fresh start lets most of them pay their arrears a second time."""
    raw = tomllib.loads(NO_TREATMENT)
    raw["reasons"]["payer"].update(lambda_inf=0.0, lambda_0=0.3)
    raw["product"]["redefault_monthly"] = {"payer": 0.5}
    acc = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=3, check_invariants=True).accounts
    back = acc[(acc["redefaults"] > 0) & (acc["first_cure_day"] < 120)]
    assert len(back) > 200
    assert (back["cures"] >= 2).mean() > 0.8


def test_without_redefault_odds_nobody_comes_back() -> None:
    raw = tomllib.loads(NO_TREATMENT)
    raw["product"]["redefault_monthly"] = {}
    res = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=3)
    assert res.kpis["redefaults"] == 0 and res.kpis["sustained_cure_share"] == 1.0


@pytest.fixture(scope="module")
def rich() -> cs.Scenario:
    """The baseline with every mechanic on: statements, re-ageing, re-default, interest and fees, debt sale."""
    sc = cs.load_scenario("scenarios/baseline.toml", overrides={"population.accounts": 3000, "horizon.days": 240})
    raw = sc.model_dump(mode="json")
    raw["product"] = {"kind": "revolving", "redefault_monthly": {r: 0.1 for r in raw["reasons"]}}
    raw["policy"]["reage"] = {"consecutive_payments": 2}
    raw["interest"] = {"apr": 0.25, "late_fee": 30.0}
    raw["debt_sale"] = {"after_days": 10}
    return cs.scenario.scenario_from_dict(raw)


def test_money_is_conserved_every_day_with_every_mechanic(rich: cs.Scenario) -> None:
    res = cs.simulate(rich, seed=2, check_invariants=True)
    k = res.kpis
    assert k["collected"] + k["discount"] + k["written_off"] + k["debt_sold"] + k["outstanding"] == pytest.approx(
        k["owed"], rel=1e-9
    )
    acc = res.accounts
    assert (acc["arrears"] <= acc["outstanding"] + 1e-6)[acc["status"] == "active"].all()
    assert (acc["arrears"][acc["status"] != "active"] == 0).all()  # out of collection nothing is in arrears
    assert (acc["outstanding"][acc["status"] == "cured"] > 0).any()  # cures leave a performing balance
    assert k["redefaults"] > 0 and k["fees_charged"] > 0 and k["accounts_sold"] > 0


def test_the_dpd_kept_day_to_day_is_the_age_of_the_oldest_unpaid_due(monkeypatch) -> None:
    """The schedule ages most accounts by a day and applies the formula only where the schedule moved (payments,
    entries, re-defaults, ended court cases): every morning of a run with plans, court cases, re-defaults and
    re-ageing, each account in collection out of court has the formula's DPD and owes arrears, each in court is a
    day older than yesterday, and no account sits in a bucket whose arrival was not recorded."""
    seen = {"court": 0, "held": 0, "checked": 0}
    morning_of = Schedule.morning
    yesterday: dict[str, np.ndarray] = {}

    def checked(sch: Schedule, day: int, entering: np.ndarray) -> None:
        morning_of(sch, day, entering)
        s = sch.s
        live = np.flatnonzero(s.status == ACTIVE)
        court, out = live[s.legal_active[live]], live[~s.legal_active[live]]
        k = np.ceil(s.arrears[out] / sch.due[out] - 1e-9)
        assert (s.dpd[out] == day - sch.next_due[out] + k * sch.cycle).all(), day
        assert (s.arrears[out] > 0.005).all(), day
        if yesterday:
            was = np.isin(court, yesterday["court"])
            assert (s.dpd[court[was]] == yesterday["dpd"][court[was]] + 1).all(), day
        reached = np.searchsorted(np.array([1, 31, 61, 91, 121, 151]), s.dpd[live], side="right")
        assert (sch.reached[live] >= reached).all(), day
        yesterday.update(court=court, dpd=s.dpd.copy())
        seen["court"] += court.size
        seen["held"] += int(s.on_plan[out].sum())
        seen["checked"] += out.size

    monkeypatch.setattr(Schedule, "morning", checked)
    sc = cs.load_scenario("scenarios/conduct_none.toml", overrides={"population.accounts": 3000, "horizon.days": 240})
    raw = sc.model_dump(mode="json")  # the ladder with plans, holidays and court cases, on a card contract
    raw["product"] = {"kind": "revolving", "redefault_monthly": {r: 0.1 for r in raw["reasons"]}}
    raw["policy"]["reage"] = {"consecutive_payments": 2}
    res = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=2)
    assert seen["court"] > 0 and seen["held"] > 0 and seen["checked"] > 100_000
    assert res.kpis["redefaults"] > 0 and res.accounts["reages"].sum() > 0


def test_late_fees_fall_on_due_dates_that_find_a_due_unpaid() -> None:
    """No payments, entering at DPD 1: on days 29, 59 and 89 (DPD 30, 60, 90) a due falls with one unpaid."""
    raw = tomllib.loads(NO_TREATMENT)
    raw["horizon"]["days"] = 90
    raw["reasons"]["payer"]["lambda_inf"] = 0.0
    raw["interest"] = {"late_fee": 25.0}
    acc = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1).accounts
    assert (acc["fees"] == 75.0).all()
    assert (acc["dpd"] == 90).all()


@pytest.fixture(scope="module")
def nobody_pays() -> dict[str, float]:
    """KPIs of the untreated cohort in which nobody pays (seed 1), read by three tests."""
    raw = tomllib.loads(NO_TREATMENT)
    raw["reasons"]["payer"]["lambda_inf"] = 0.0
    return cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1).kpis


def test_roll_rates_follow_the_contractual_buckets(nobody_pays: dict[str, float]) -> None:
    """Nobody pays: every account rolls; with schedules the KPI reads the first day each bucket was reached."""
    k = nobody_pays
    assert k["roll_rate_1_30"] == 1.0 and k["roll_rate_30_60"] == 1.0
    assert k["write_off_account_rate"] == 1.0


def test_an_instalment_product_charges_off_at_120_dpd_unless_told_otherwise() -> None:
    raw = tomllib.loads(NO_TREATMENT)
    raw["product"] = {"kind": "instalment"}
    assert cs.scenario.scenario_from_dict(raw).chargeoff.dpd == 120
    raw["chargeoff"] = {"dpd": 150}
    assert cs.scenario.scenario_from_dict(raw).chargeoff.dpd == 150
    raw["product"] = {"kind": "revolving"}
    del raw["chargeoff"]
    assert cs.scenario.scenario_from_dict(raw).chargeoff.dpd == 180


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["policy"].update(reage={}) or r.pop("product"), "policy.reage"),
        (lambda r: r["product"].update(redefault_monthly={"nobody": 0.1}), "product.redefault_monthly.nobody"),
        (lambda r: r.update(interest={"late_fee": 5.0, "statement_days": 28}), "interest.statement_days"),
    ],
)
def test_inconsistent_product_settings_name_the_field(change, field) -> None:
    raw = tomllib.loads(NO_TREATMENT)
    change(raw)
    with pytest.raises(Exception, match=field.replace(".", r"\.")):
        cs.scenario.scenario_from_dict(raw)


def test_minimum_payers_pay_exactly_one_due_when_they_do_not_cure() -> None:
    """With ``partial_payment = "minimum_due"`` a payment either clears the arrears or is one due, so an
    account two dues behind holds its bucket instead of paying a Beta share of its arrears."""
    raw = tomllib.loads(NO_TREATMENT)
    raw["reasons"]["payer"].update(ability=0.0, lambda_inf=0.1)  # almost every payment is partial
    raw["population"]["segments"]["all"]["entry_dpd"] = 31
    raw["horizon"]["days"] = 60
    outcomes = {}
    for rule in ("share", "minimum_due"):
        raw["product"]["partial_payment"] = rule
        res = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=4, check_invariants=True, record_events=False)
        acc = res.accounts
        payers = acc[(acc["payments"] == 1) & (acc["cures"] == 0)]
        outcomes[rule] = payers["paid"] / payers["due_amount"]
    assert np.allclose(outcomes["minimum_due"], 1.0)
    assert outcomes["share"].mean() < 0.8  # a Beta(2, 5) share of two dues


def test_the_statement_panel_counts_cycles_by_months_late_at_the_statement() -> None:
    """UCI's measure: months late at a statement, then whether the next cycle brought any payment.

    Unpaid from DPD 1, statements fall on days 29, 59, …: the first only opens the panel (1 month late);
    the cycles to days 59 and 89 begin 1 and 2 months late, those to 119, 149 and 179 begin 3+ late.
    """
    s = accounts()
    sch = schedule(s)
    for day in range(180):
        morning(sch, day)
        sch.evening(day)
    assert sch.cycles[:, 0].tolist() == [2, 3] and sch.unpaid_cycles[:, 0].tolist() == [2, 3]
    s = accounts(entry_dpd=31)
    sch = schedule(s)
    for day in range(60):
        morning(sch, day)
        if day == 40:  # two months late at the statement on day 29; cured on day 40: a paid cycle
            s.book_payment(np.array([0]), np.array([150.0]), day)
        sch.evening(day)
    assert s.status[0] == CURED
    assert sch.cycles[:, 0].tolist() == [1, 0] and sch.unpaid_cycles[:, 0].tolist() == [0, 0]


def test_statement_no_payment_rates_read_the_panel(nobody_pays: dict[str, float]) -> None:
    raw = tomllib.loads(NO_TREATMENT)
    k = nobody_pays
    assert k["statement_no_payment_rate_1_2"] == 1.0 and k["statement_no_payment_rate_3_plus"] == 1.0
    raw["reasons"]["payer"].update(lambda_inf=0.5, ability=0.0)  # pays a share of the arrears most days
    k = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1).kpis
    assert k["statement_no_payment_rate_1_2"] < 0.05


def test_the_monthly_roll_counts_each_statement_cycle_by_where_it_began_and_ended() -> None:
    """Statements on days 29, 59, …, 179. Account 0 never pays: it rolls from 1, 2, 3 and 4 months late.
    Account 1 pays one due each cycle once two are owed: it holds at 1 month late for five cycles, never
    rolling. Account 2 rolls once, then cures from 2 months late: a cycle that ends in a cure did not roll."""
    s = accounts(n=3)
    sch = schedule(s)
    for day in range(180):
        morning(sch, day)
        if day >= 40 and day % 30 == 10:
            s.book_payment(np.array([1]), np.array([50.0]), day)
        if day == 70:
            s.book_payment(np.array([2]), np.array([150.0]), day)
        sch.evening(day)
    assert sch.roll_cycles[:, 0].tolist() == [1, 1, 1, 1] and sch.rolled[:, 0].tolist() == [1, 1, 1, 1]
    assert sch.roll_cycles[:, 1].tolist() == [5, 0, 0, 0] and sch.rolled[:, 1].tolist() == [0, 0, 0, 0]
    assert sch.roll_cycles[:, 2].tolist() == [1, 1, 0, 0] and sch.rolled[:, 2].tolist() == [1, 0, 0, 0]
    assert s.status[2] == CURED


def test_statement_roll_rates_read_the_monthly_roll(nobody_pays: dict[str, float]) -> None:
    """No payer rolls every month; minimum payers (payments never clear the arrears) hold their bucket, so
    their monthly roll is far below the share that ever reaches the next bucket."""
    raw = tomllib.loads(NO_TREATMENT)
    k = nobody_pays
    assert k["statement_roll_rate_30_60"] == 1.0 and k["statement_roll_rate_60_90"] == 1.0
    raw["reasons"]["payer"].update(lambda_inf=0.06, ability=0.0)
    raw["population"]["segments"]["all"]["entry_dpd"] = 31
    k = cs.simulate(cs.scenario.scenario_from_dict(raw), seed=1).kpis
    assert k["statement_roll_rate_30_60"] < 0.5 * k["roll_rate_30_60"]
