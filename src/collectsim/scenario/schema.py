"""Frozen, typed models of a scenario file.

Tables of teams, channels, segments, reasons and ladders are keyed by name. Every
model forbids unknown keys; cross-references (a channel's team, a ladder's channel,
a segment's reasons) are checked in ``Scenario``'s validator so the error names the
field that refers to something undefined.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from collectsim import dists
from collectsim.scenario.checks import cross_reference_problems
from collectsim.scenario.conduct import Complaints, Conduct
from collectsim.scenario.schema_base import (  # noqa: F401
    DAYS_MAX,
    DPD_MAX,
    HEADCOUNT_MAX,
    MONEY_MAX,
    RATE_MAX,
    WEEKDAYS,
    Days,
    Dpd,
    Hour,
    Int,
    Model,
    Money,
    NonNeg,
    Pos,
    Prob,
    Real,
    Slug,
    Text,
    Weekday,
)

Param = Annotated[Real, Field(ge=-MONEY_MAX, le=MONEY_MAX)]
Scale = Annotated[Real, Field(gt=0.0, le=MONEY_MAX)]
Shape = Annotated[Real, Field(ge=1e-3, le=1e6)]  # beta's a and b: below 1e-3 every draw is 0 or 1 to machine precision
LOGNORMAL_CV_MAX = 100.0  # sd ÷ mean: beyond it the log-scale σ exceeds 3 and draws span 30 orders of magnitude
T = TypeVar("T")
Weekly = Annotated[tuple[T, ...], Field(min_length=1, max_length=DAYS_MAX // 7 + 1)]  # one value per week


class DistSpec(Model):
    """A distribution: ``{dist = "lognormal", mean = 6, sd = 2}`` and friends."""

    dist: Literal["constant", "exponential", "lognormal", "uniform", "beta", "triangular"]
    value: Param | None = None
    mean: Scale | None = None
    sd: Scale | None = None
    low: Param | None = None
    high: Param | None = None
    mode: Param | None = None
    a: Shape | None = None
    b: Shape | None = None

    @model_validator(mode="after")
    def _params_present(self) -> DistSpec:
        need = {
            "constant": ("value",),
            "exponential": ("mean",),
            "lognormal": ("mean", "sd"),
            "uniform": ("low", "high"),
            "beta": ("a", "b"),
            "triangular": ("low", "mode", "high"),
        }[self.dist]
        missing = [p for p in need if getattr(self, p) is None]
        if missing:
            raise ValueError(f"dist '{self.dist}' needs {', '.join(need)}; missing {', '.join(missing)}")
        if self.dist in ("uniform", "triangular") and not self.low <= (self.mode or self.low) <= self.high:
            raise ValueError("needs low ≤ mode ≤ high")
        if self.dist == "uniform" and self.low > self.high:
            raise ValueError("needs low ≤ high")
        if self.dist == "triangular" and self.low == self.high:
            raise ValueError("a triangular distribution needs low < high (for one value use dist 'constant')")
        if self.dist == "lognormal" and self.sd > LOGNORMAL_CV_MAX * self.mean:
            raise ValueError(f"lognormal sd {self.sd:g} exceeds {LOGNORMAL_CV_MAX:g} × mean {self.mean:g}")
        return self

    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        match self.dist:
            case "constant":
                return self.value, self.value
            case "exponential" | "lognormal":
                return 0.0, math.inf
            case "beta":
                return 0.0, 1.0
            case _:
                return self.low, self.high

    def build(self) -> dists.Distribution:
        match self.dist:
            case "constant":
                return dists.Constant(self.value)
            case "exponential":
                return dists.Exponential(self.mean)
            case "lognormal":
                return dists.LogNormal(self.mean, self.sd)
            case "uniform":
                return dists.Uniform(self.low, self.high)
            case "beta":
                return dists.Beta(self.a, self.b)
            case _:
                return dists.Triangular(self.low, self.mode, self.high)


def _drawn(what: str, *, hi: float, mean_max: float) -> AfterValidator:
    """A use of a distribution: every draw in [0, ``hi``] and the mean at most ``mean_max``.

    Draws become durations, minutes, amounts or fractions, so a negative value (or a fraction above 1)
    is a value the engine cannot run; an unbounded distribution is allowed where ``hi`` is infinite.
    """

    def check(spec: DistSpec) -> DistSpec:
        lo, top = spec.support()
        if lo < 0 or top > hi:
            bounds = f"[0, {hi:g}]" if math.isfinite(hi) else "≥ 0"
            raise ValueError(f"{what} must be {bounds}; dist '{spec.dist}' gives values in [{lo:g}, {top:g}]")
        mean = spec.build().mean
        if mean > mean_max:
            raise ValueError(f"{what}: mean {mean:g} exceeds {mean_max:g}")
        return spec

    return AfterValidator(check)


Amount = Annotated[DistSpec, _drawn("an amount of money", hi=math.inf, mean_max=MONEY_MAX)]
Fraction = Annotated[DistSpec, _drawn("a fraction", hi=1.0, mean_max=1.0)]
Minutes = Annotated[DistSpec, _drawn("a duration in minutes", hi=math.inf, mean_max=24 * 60)]
Duration = Annotated[DistSpec, _drawn("a duration in days", hi=math.inf, mean_max=DAYS_MAX)]


class Horizon(Model):
    days: Annotated[Int, Field(ge=1, le=3650)] = 180
    start_weekday: Weekday = "mon"


class Calendar(Model):
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    contact_hours: tuple[Hour, Hour] = (
        8.0,
        21.0,
    )


EntryDay = Annotated[Int, Field(ge=1, le=720)]
# The input's type picks the form, so an error speaks of that form only. The tags hold a space, which no
# key of a scenario can, and errors drop them from the field path (UNION_TAGS).
ONE_DAY, SPREAD = "one day", "spread of days"
UNION_TAGS = frozenset({ONE_DAY, SPREAD})


class EntryDpdRanges(Model):
    """Entry DPD spread over whole-day ranges: ``{ranges = [[1, 10], [11, 59]], shares = [0.6, 0.4]}``.

    Each account draws a range with its share, then a day in it uniformly; ranges ascend without
    overlapping, and ``[5, 5]`` is exactly DPD 5. ``portfolio import`` writes one from an extract.
    """

    ranges: Annotated[tuple[tuple[EntryDay, EntryDay], ...], Field(min_length=1, max_length=720)]
    shares: tuple[Prob, ...]

    @model_validator(mode="after")
    def _consistent(self) -> EntryDpdRanges:
        if len(self.shares) != len(self.ranges):
            raise ValueError(f"{len(self.ranges)} ranges but {len(self.shares)} shares; give one share per range")
        for (lo, hi), nxt in zip(self.ranges, [*self.ranges[1:], None], strict=True):
            if lo > hi:
                raise ValueError(f"range [{lo}, {hi}] is empty; write each range as [low, high] with low ≤ high")
            if nxt is not None and nxt[0] <= hi:
                raise ValueError(f"ranges [{lo}, {hi}] and [{nxt[0]}, {nxt[1]}] overlap or are out of order")
        total = sum(self.shares)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1 (they sum to {total:.6g})")
        return self

    def build(self) -> dists.DayRanges:
        return dists.DayRanges(tuple(tuple(r) for r in self.ranges), tuple(self.shares))

    @property
    def lowest(self) -> int:
        return self.ranges[0][0]


class Segment(Model):
    """An observable portfolio segment: its share, balances, entry DPD and latent reason mix.

    ``entry_dpd`` is one day for every account of the segment, or a spread of days (``EntryDpdRanges``).
    """

    share: Prob
    balance: Amount
    entry_dpd: Annotated[
        Annotated[EntryDay, Tag(ONE_DAY)] | Annotated[EntryDpdRanges, Tag(SPREAD)],
        Discriminator(lambda v: ONE_DAY if isinstance(v, int | str | float) else SPREAD),
    ] = 1
    utc_offset_h: Annotated[Real, Field(ge=-12, le=14)] = 0.0  # borrowers' local time vs the teams' clock
    reasons: Annotated[dict[str, Prob], Field(min_length=1)]

    @property
    def lowest_entry_dpd(self) -> int:
        """The smallest DPD at which an account of the segment can enter."""
        return self.entry_dpd if isinstance(self.entry_dpd, int) else self.entry_dpd.lowest


class Reason(Model):
    """A latent reason for delinquency (docs/sources.md, Repayment behaviour) and the behaviour it implies."""

    lambda_inf: NonNeg
    lambda_0: NonNeg | None = None
    heterogeneity: Annotated[Real, Field(ge=0.0, le=3.0)] = 0.5
    contactability: NonNeg = 1.0
    willingness: Prob = 0.5
    ability: Prob = 0.5
    promise_kept: Prob = 0.6
    responsiveness: NonNeg = 1.0
    refusal_prob: Prob = 0.0  # per conversation: the borrower asks not to be contacted again
    dispute_prob: Prob = 0.0  # per conversation: the borrower disputes the debt
    vulnerable_share: Prob = 0.0  # share of these borrowers flagged vulnerable
    hardship: bool = False  # eligible for a deferral (payment holiday)


class Repayment(Model):
    """Common parameters of the self-exciting repayment intensity (docs/sources.md, Repayment behaviour)."""

    kappa: Pos = 0.10
    delta_10: NonNeg = 0.005
    delta_11: NonNeg = 0.10
    partial_fraction: Fraction = DistSpec(dist="beta", a=2.0, b=5.0)
    promise_days: tuple[Annotated[Int, Field(ge=0, le=365)], Annotated[Int, Field(ge=0, le=365)]] = (1, 14)

    @model_validator(mode="after")
    def _subcritical(self) -> Repayment:
        """Each payment must trigger fewer than one further payment on average, or λ(t) explodes."""
        n = (self.delta_10 + self.delta_11 * self.partial_fraction.build().mean) / self.kappa
        if n >= 1:
            raise ValueError(f"branching ratio (δ10 + δ11·E[R])/κ = {n:.3f} must be < 1")
        return self


class Economy(Model):
    """The economy scales λ∞ by exp(β·Δunemployment); ``cost_of_funds`` (annual) discounts cash flows for NPV."""

    unemployment_change_pp: Annotated[Real, Field(ge=-50.0, le=50.0)] = 0.0  # percentage points
    beta: Annotated[Real, Field(ge=-1.0, le=1.0)] = -0.1  # per pp: exp(β·Δu) stays within e^±50
    cost_of_funds: Annotated[Real, Field(ge=0.0, le=1.0)] = 0.0


class Population(Model):
    """A cohort entering on day 0, or an inflow over ``inflow_days`` shaped by ``inflow_weekly_weights``
    (relative weights per week, repeated), e.g. a seasonal peak."""

    mode: Literal["cohort", "inflow"] = "cohort"
    accounts: Annotated[Int, Field(ge=1, le=20_000_000)] = 10_000
    inflow_days: Annotated[Int, Field(ge=1, le=DAYS_MAX)] = 1
    inflow_weekly_weights: Weekly[Annotated[Real, Field(gt=0, le=1e6)]] | None = None
    segments: dict[str, Segment]


class Score(Model):
    auc: Annotated[Real, Field(ge=0.5, le=0.999)] = 0.75
    horizon_days: Annotated[Int, Field(ge=1, le=DAYS_MAX)] = 30


class Offer(Model):
    """What an offer channel (kind settlement, plan or deferral) proposes when it reaches the borrower.

    Acceptance is ``accept_prob`` + ``accept_per_discount`` × ``discount`` (capped at 1), scaled by the
    borrower's willingness relative to 0.5. A plan splits the balance into ``instalments`` paid every
    ``instalment_days``; a missed one breaks the plan. The first instalment is missed with
    (1 − promise_kept) × ``miss_first``, each one after a kept instalment with
    (1 − promise_kept) × ``miss_after_kept``: paying builds a habit, so plans break mostly early
    (industry assumption: monthly break hazard ≈ 0.10, about half of 6-month plans complete).
    A deferral pauses collection for ``holiday_days`` for borrowers in hardship.
    """

    accept_prob: Prob = 0.2
    discount: Prob = 0.0
    accept_per_discount: NonNeg = 0.0
    instalments: Annotated[Int, Field(ge=1, le=120)] = 6
    instalment_days: Annotated[Int, Field(ge=1, le=120)] = 30
    holiday_days: Annotated[Int, Field(ge=1, le=365)] = 60
    miss_first: Prob = 0.5
    miss_after_kept: Prob = 0.2


class Channel(Model):
    """An action a policy can take: a message, a call, a letter, a visit, legal, agency.

    ``callback`` names a channel (a call answered by its team) through which a share
    ``callback_prob`` of the borrowers reached by this one call back, inbound, later
    the same day within contact hours. ``fatigue`` is reminder wear-out: each further
    send of this channel to the same borrower has (1 − fatigue) times the effect of the
    one before, so the tenth SMS moves a borrower less than the first.
    """

    kind: Literal["message", "call", "letter", "visit", "legal", "agency", "settlement", "plan", "deferral"] = "message"
    cost: Money = 0.0
    team: str | None = None
    delivery_days: Annotated[Int, Field(ge=0, le=60)] = 0
    contact_prob: Prob = 1.0
    rpc_prob: Prob = 1.0
    effect: NonNeg = 0.0
    fatigue: Annotated[Real, Field(ge=0.0, lt=1.0)] = 0.0
    promise_prob: Prob = 0.0
    counts_as_contact: bool = True
    callback: str | None = None
    callback_prob: Prob = 0.0
    offer: Offer | None = None


class HandleTimes(Model):
    """Minutes spent on one work item, by its outcome; a right-party contact adds wrap-up."""

    no_answer: Minutes = DistSpec(dist="constant", value=0.75)
    wrong_party: Minutes = DistSpec(dist="constant", value=1.5)
    right_party: Minutes = DistSpec(dist="lognormal", mean=6.0, sd=2.5)
    wrap_up: Minutes = DistSpec(dist="constant", value=1.5)


class Shift(Model):
    """A shift: its hours, its share of the team's headcount and (optionally) its own days."""

    start: Hour
    end: Hour
    share: Annotated[Real, Field(gt=0, le=1)] = 1.0
    working_days: tuple[Weekday, ...] | None = None

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.start >= self.end:
            raise ValueError(f"shift start {self.start} must be before end {self.end}")
        return self


class Team(Model):
    """A team of agents: roster, handle times, cost, and how its work queue behaves.

    ``headcount`` is rostered (paid) agents; ``shrinkage`` is the share of them not on
    the floor (absence, training, breaks). ``shifts`` split the headcount over several
    shifts (shares summing to 1); without it one ``shift`` covers everybody.
    ``max_occupancy`` below 1 forces idle time after each item; ``max_rpc_per_hour``
    paces a dialer; ``helps`` names teams whose queues this team works when its own
    is empty (skills); ``answer_within_s`` is the inbound service-level threshold.
    A call or visit running past shift end is finished and paid as overtime at
    ``overtime_rate`` × the agent's rate per shift minute. ``weekly_headcount`` is a roster
    plan: week k of the horizon (days 7k to 7k + 6) has ``weekly_headcount[k]`` agents,
    paid and (less shrinkage) on the floor; weeks after the list keep its last value, and
    ``headcount`` must then equal the plan's peak.
    """

    headcount: Annotated[Int, Field(ge=0, le=HEADCOUNT_MAX)]
    weekly_headcount: Weekly[Annotated[Int, Field(ge=0, le=HEADCOUNT_MAX)]] | None = None
    working_days: tuple[Weekday, ...] | None = None
    shift: tuple[Hour, Hour] = (9.0, 17.0)
    shifts: tuple[Shift, ...] | None = None
    shrinkage: Annotated[Real, Field(ge=0.0, lt=1.0)] = 0.0
    max_occupancy: Annotated[Real, Field(gt=0.0, le=1.0)] = 1.0
    max_rpc_per_hour: Annotated[Real, Field(gt=0.0, le=3600.0)] | None = None
    helps: tuple[str, ...] = ()
    answer_within_s: Annotated[Real, Field(gt=0.0, le=86_400.0)] = 20.0
    cost_per_fte_day: Money = 240.0
    overtime_rate: Annotated[Real, Field(ge=0.0, le=10.0)] = 1.5
    handle_minutes: HandleTimes = HandleTimes()
    backlog: Literal["carry", "expire"] = "carry"

    @model_validator(mode="after")
    def _shift_order(self) -> Team:
        if self.shift[0] >= self.shift[1]:
            raise ValueError(f"shift start {self.shift[0]} must be before end {self.shift[1]}")
        if self.weekly_headcount is not None:
            if not self.weekly_headcount:
                raise ValueError("weekly_headcount needs at least one week")
            if self.headcount != max(self.weekly_headcount):
                raise ValueError(
                    f"headcount {self.headcount} must equal the peak of weekly_headcount ({max(self.weekly_headcount)})"
                )
        if self.shifts is not None and abs(sum(s.share for s in self.shifts) - 1.0) > 1e-6:
            raise ValueError(f"shift shares sum to {sum(s.share for s in self.shifts):.6g}; they must sum to 1")
        return self


class Legal(Model):
    """Filing → service → (settlement) → judgement → enforcement.

    Filing is work for the team of the channel of kind ``legal`` (handle time
    ``filing_minutes``); without a team the case is filed the day it is decided.
    Once served, a case not settled is contested with ``contested_prob``. Most
    collection suits are not: > 70% end in default judgement (Pew 2020), so an
    uncontested case is won by default after ``court_days``; a contested one takes
    ``contested_days`` and is won with ``contested_win_prob``.
    """

    settle_discount: Prob = 0.0
    filing_fee: Money = 490.0
    filing_minutes: Minutes = DistSpec(dist="constant", value=90.0)
    service_days: Duration = DistSpec(dist="triangular", low=14, mode=21, high=28)
    settle_after_service: Prob = 0.15
    court_days: Duration = DistSpec(dist="lognormal", mean=60.0, sd=25.0)  # service → default judgement
    contested_prob: Prob = 0.15
    contested_days: Duration = DistSpec(dist="lognormal", mean=270.0, sd=60.0)  # service → contested judgement
    contested_win_prob: Prob = 0.5
    enforceable_share: Prob = 0.3
    enforcement_delay_days: Days = 30
    enforcement_fee: Money = 30.0
    weekly_fraction: Prob = 0.05


class AgencyTier(Model):
    """A later agency for charged-off debt the previous one could not collect (secondary, tertiary …)."""

    name: Slug
    commission: Prob
    placement_days: Annotated[Int, Field(ge=1, le=DAYS_MAX)] = 180


class Agency(Model):
    """A placed account keeps its own repayment process; the agency adds its own treatment.

    Every ``contact_every_days`` after placement the agency reaches the borrower with
    ``contact_prob`` × contactability (capped at 1); a reach adds the intensity jump
    ``effect`` × responsiveness. A payment while placed clears the debt with
    ``full_payment_prob`` × ability / 0.5 (capped at 1), else pays ``partial_fraction``.
    These settings and ``commission`` are the primary agency's. With ``place_at_chargeoff``
    every account charged off in house (not in court) is placed with it that day. ``next_tiers``
    lists the later agencies: when a placement of a charged-off account ends unpaid, the account
    goes to the next tier at once, for that tier's days and commission (contacts as above); a
    debt sale waits for the last tier to end.
    """

    placement_days: Annotated[Int, Field(ge=1, le=DAYS_MAX)] = 180
    commission: Prob = 0.25
    contact_every_days: Annotated[Int, Field(ge=1, le=365)] = 7
    contact_prob: Prob = 0.5
    effect: Annotated[Real, Field(ge=0.0, le=10.0)] = 0.025
    partial_fraction: Fraction = DistSpec(dist="uniform", low=0.05, high=0.5)
    full_payment_prob: Prob = 0.1
    place_at_chargeoff: bool = False
    next_tiers: Annotated[tuple[AgencyTier, ...], Field(max_length=5)] = ()

    @property
    def tiers(self) -> list[tuple[str, float, int]]:
        """(name, commission, placement days) of every tier, the primary agency first."""
        return [("primary", self.commission, self.placement_days)] + [
            (t.name, t.commission, t.placement_days) for t in self.next_tiers
        ]


class Recovery(Model):
    """In-house recovery of charged-off debt (docs/sources.md, In-house recovery): off unless the table is given.

    Charged-off debt is not dead: card issuers keep part of it with their own recovery unit before
    placing it with agencies or selling it (CFPB 2014: about 10% of charged-off card balances go to
    internal recovery first). An account charged off in house (neither at an agency nor in court)
    stays in the stage for ``days``; its borrower keeps its own repayment process, and every
    ``contact_every_days`` the unit contacts it (a letter or call, ``cost_per_contact`` each),
    reaching it with ``contact_prob`` × contactability; a reach adds the intensity jump ``effect``
    × responsiveness, as an agency contact does. A payment in the stage clears the debt with
    ``full_payment_prob`` × ability / 0.5 (capped at 1), else pays ``partial_fraction`` of it, and
    reduces what is written off. When the stage ends unpaid the account goes to the primary agency
    with ``agency.place_at_chargeoff``, and a debt sale waits for the stage to end.
    """

    days: Annotated[Int, Field(ge=1, le=DAYS_MAX)] = 120
    contact_every_days: Annotated[Int, Field(ge=1, le=365)] = 14
    contact_prob: Prob = 0.3
    effect: Annotated[Real, Field(ge=0.0, le=10.0)] = 0.025
    cost_per_contact: Money = 5.0
    partial_fraction: Fraction = DistSpec(dist="uniform", low=0.05, high=0.5)
    full_payment_prob: Prob = 0.1


class ChargeOff(Model):
    dpd: Annotated[Int, Field(ge=1, le=3650)] = 180


class Interest(Model):
    """Contractual interest and late fees on delinquent accounts in house (off unless the table is given).

    Each morning an active account that is in house (not at an agency, on a plan or a payment
    holiday), not in court, and (with ``freeze_from_dpd``) below that DPD accrues ``apr`` ÷ 365 of its balance
    (compounding daily). On each due date after entry (DPD 1, 1 + ``statement_days``, …) it is
    charged ``late_fee`` (with a ``[product]``: on each due date that finds a due still unpaid, and
    ``statement_days`` must then be left out or equal the product's). Both raise what is owed:
    opening + interest + fees = paid + discount + written off + sold + outstanding on every
    account, every day.
    """

    apr: Annotated[Real, Field(ge=0.0, le=2.0)] = 0.0
    freeze_from_dpd: Annotated[Int, Field(ge=1, le=DAYS_MAX)] | None = None
    late_fee: Money = 0.0
    statement_days: Annotated[Int, Field(ge=1, le=92)] | None = None  # 30, or the product's cycle

    @property
    def fee_cycle(self) -> int:
        return self.statement_days or 30


class Product(Model):
    """The accounts' contractual schedule (docs/model-mechanics.md, Contractual delinquency): off unless given.

    Without it an account owes its whole balance from entry and its DPD rises by one a day until it
    is paid or charged off. With it an account owes **arrears**: the dues it has missed. A due of a
    fixed size falls every ``statement_days`` (revolving: ``minimum_due_share`` of the balance at
    entry, at least ``minimum_due_floor``; instalment: the balance at entry ÷ ``term_months``); an
    account entering at DPD d has missed ⌈d ÷ statement_days⌉ dues. Payments clear the oldest due
    first and DPD is the age of the oldest unpaid one, so paying one due a cycle holds the bucket
    and paying more lowers it. Paying the arrears **cures**: the account leaves collection with its
    balance performing, and may **re-default** with the monthly probability of its latent reason
    (``redefault_monthly``; reasons not listed never re-default), coming back at DPD 1. A plan or
    payment holiday holds DPD while it lasts. A court case accelerates the debt: the whole balance
    falls due. A payment that does not cure pays a share of the arrears drawn from
    ``repayment.partial_fraction`` (``partial_payment = "share"``), or exactly one due
    (``"minimum_due"``: what card holders behind on a statement mostly pay). ``kind`` also sets the
    charge-off DPD when ``[chargeoff]`` does not: 180 revolving, 120 instalment (FFIEC). A cure
    that lasts ``sustained_days`` is a sustained cure. ``behavioural_life_months`` is the life a
    revolving line is assumed to have left after the horizon, over which CECL provisions a cured
    account's lifetime loss (an instalment loan's is its remaining term); 36 months is about the time a
    3% minimum due takes to repay a balance (docs/model-mechanics.md, Provisions).
    """

    kind: Literal["revolving", "instalment"]
    statement_days: Annotated[Int, Field(ge=7, le=92)] = 30
    minimum_due_share: Annotated[Real, Field(gt=0.0, le=1.0)] = 0.03
    minimum_due_floor: Money = 25.0
    term_months: Annotated[Int, Field(ge=1, le=600)] = 36
    partial_payment: Literal["share", "minimum_due"] = "share"
    redefault_monthly: dict[str, Prob] = Field(default_factory=dict)
    sustained_days: Annotated[Int, Field(ge=1, le=DAYS_MAX)] = 90
    behavioural_life_months: Annotated[Real, Field(ge=1.0, le=120.0)] = 36.0


class Reage(Model):
    """Re-ageing (docs/model-mechanics.md, Re-ageing): bring a delinquent account current once it has shown it pays.

    The common US bank rule for open-end credit (FFIEC): ``consecutive_payments`` statement cycles in a
    row each with payments of at least one minimum due, and at most ``per_12_months`` re-ages in any
    365 days and ``per_5_years`` in any 1,825. The arrears are not forgiven: they stay in the balance,
    which is simply current again. Needs a ``[product]`` table.
    """

    consecutive_payments: Annotated[Int, Field(ge=1, le=24)] = 3
    per_12_months: Annotated[Int, Field(ge=1, le=12)] = 1
    per_5_years: Annotated[Int, Field(ge=1, le=60)] = 2


class DebtSale(Model):
    """Sale of charged-off debt to a debt buyer (docs/sources.md, Debt sale): off unless the table is given.

    Each morning after charge-off, written-off accounts ``after_days`` or more past their charge-off
    day are sold at ``price`` per unit of face value, less ``price_drop_per_year`` × (days since
    charge-off ÷ 365), floored at 0. With ``skip_placed`` an account at an agency waits for its
    recall; with ``skip_legal`` one with an open court case waits for the case to close.
    """

    after_days: Annotated[Int, Field(ge=0, le=3650)] = 0
    price: Prob = 0.12
    price_drop_per_year: Prob = 0.0
    skip_placed: bool = True
    skip_legal: bool = True


StopCondition = Literal["promise_pending", "paid_recently", "contacted_recently", "legal_active"]


class Action(Model):
    """One rung of a ladder: a channel used from ``start_dpd``, repeated every ``every_days``."""

    name: str | None = None
    channel: str
    start_dpd: Dpd | None = None
    every_days: Days = 0
    max_times: Annotated[Int, Field(ge=1, le=DPD_MAX)] | None = None
    stop_on: tuple[StopCondition, ...] = ()
    score_min: Prob = 0.0
    score_max: Prob = 1.0
    balance_min: Money = 0.0


class Stage(Model):
    name: str
    from_dpd: Dpd
    to_dpd: Dpd
    actions: tuple[Action, ...] = ()

    @model_validator(mode="after")
    def _range(self) -> Stage:
        if self.from_dpd > self.to_dpd:
            raise ValueError(f"from_dpd {self.from_dpd} must not exceed to_dpd {self.to_dpd}")
        return self


class BrokenPromise(Model):
    channel: str
    delay_days: Annotated[Int, Field(ge=0, le=365)] = 1


class Ladder(Model):
    segments: tuple[str, ...] | None = None
    stages: tuple[Stage, ...]
    on_broken_promise: BrokenPromise | None = None


class Policy(Model):
    """The ladders, the order teams take their work in, and the daily contact limit.

    ``one_call_per_day``: an account gets at most one outbound call a day across teams.
    ``call_precedence`` says whose call that is: calling teams, highest precedence first,
    e.g. ``["late_callers", "early_callers"]``. When the queues open each day, an account
    with call items in several teams keeps only the item of the team listed first; the
    others are voided (even if the winning team does not reach the account that day).
    Teams not listed rank below every listed one. Between teams of equal rank (the default:
    none listed) the first call taken wins, and so it does for work added during the day.
    The precedence is an explicit list in the policy, not derived from the ladder, because a
    team may serve several stages (the baseline's early callers also make every
    broken-promise follow-up), so "the later stage wins" does not name a team; one ordered
    list beside the rule it qualifies is read at a glance and checked against team names.
    It has no effect with ``one_call_per_day = false``.
    """

    priority: Literal["expected_value", "expected_loss", "dpd", "fifo"] = "expected_value"
    recent_days: Annotated[Int, Field(ge=1, le=365)] = 7
    one_call_per_day: bool = True
    call_precedence: tuple[str, ...] = ()
    reage: Reage | None = None
    ladders: dict[str, Ladder]


class Scenario(Model):
    name: Slug
    description: Text = ""
    currency: Annotated[str, Field(max_length=16)] = "USD"
    horizon: Horizon = Horizon()
    calendar: Calendar = Calendar()
    population: Population
    reasons: Annotated[dict[str, Reason], Field(min_length=1)]
    repayment: Repayment = Repayment()
    economy: Economy = Economy()
    score: Score = Score()
    channels: dict[str, Channel]
    teams: dict[str, Team] = Field(default_factory=dict)
    legal: Legal = Legal()
    agency: Agency = Agency()
    chargeoff: ChargeOff = ChargeOff()
    debt_sale: DebtSale | None = None
    recovery: Recovery | None = None
    interest: Interest | None = None
    product: Product | None = None
    policy: Policy
    conduct: Conduct = Conduct()
    complaints: Complaints = Complaints()

    @model_validator(mode="before")
    @classmethod
    def _product_chargeoff(cls, data: object) -> object:
        """An instalment product charges off at 120 DPD unless ``[chargeoff]`` says otherwise (FFIEC)."""
        if not isinstance(data, dict):
            return data
        product, chargeoff = data.get("product"), data.get("chargeoff", {})
        instalment = isinstance(product, dict) and product.get("kind") == "instalment"
        if instalment and isinstance(chargeoff, dict) and "dpd" not in chargeoff:
            data = {**data, "chargeoff": {**chargeoff, "dpd": 120}}
        return data

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        problems = cross_reference_problems(self.model_dump())
        if problems:
            raise CrossReferenceError(problems)
        return self


class CrossReferenceError(ValueError):
    """Carries field-path problems out of the validator so the loader can list each one."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
