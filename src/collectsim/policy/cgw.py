"""Research policies built on the Chehrazi–Glynn–Weber model (docs/optimal-policy.md).

Both read the collectability filter (``view.intensity`` and the posterior over the latent reason) and
value an account with the closed forms of ``collectsim.chehrazi``, per reason, mixed by that posterior:

- ``CGWPolicy`` treats an account with one channel when its estimated intensity is below the optimal
  frontier λ*(w) for that channel's cost and expected effect (CGW 2019);
- ``UpliftPolicy`` treats where a channel's expected uplift — the gain in expected collections from one
  treatment, U(λ̂ + δ₂, w) − U(λ̂, w), times P(reach), plus for a conversation the value of a kept promise —
  exceeds its cost (channel cost, or agent minutes at the team's rate per on-floor minute).

Engine time is days. The model's infinite horizon is shortened to the in-house window: collections are
discounted at ρ = cost_of_funds/365 + 1/(charge-off DPD − entry DPD), an exponential exit from the
lender's own collection at the end of that window. The engine's partial payment share is replaced by the
uniform with its mean and standard deviation (lower end at least 0.05, which the interval recursion needs),
and the chance a payment clears the arrears by the reason's ability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from collectsim.chehrazi import CGWParams, _Kernel, optimal_intensity
from collectsim.policy import AccountView, ActionPlan, PolicyContext
from collectsim.policy.ladder import LadderPolicy
from collectsim.scenario.schema import Channel, Scenario

MIN_PARTIAL = 0.05
W_OVER_COST_MAX = 3e4  # balance ÷ cost per unit intensity covered by the frontier tables (clipped above)
CONVERSATIONS = ("call", "visit")


def reason_params(sc: Scenario) -> list[CGWParams]:
    """One CGW parameter set per reason of the scenario (mean heterogeneity multiplier)."""
    rep = sc.repayment
    dist = rep.partial_fraction.build()
    half = math.sqrt(3 * dist.variance)
    lo = min(max(dist.mean - half, MIN_PARTIAL), dist.mean * 0.9)
    hi = min(2 * dist.mean - lo, 1.0)
    macro = math.exp(sc.economy.beta * sc.economy.unemployment_change_pp)
    return [
        CGWParams(r.lambda_inf * macro, rep.kappa, rep.delta_10, rep.delta_11, lo, hi, full_share=r.ability)
        for r in sc.reasons.values()
    ]


def window_rate(sc: Scenario) -> float:
    """ρ per day: funding cost plus the exit rate from the in-house window (see module docstring)."""
    entry = min(seg.lowest_entry_dpd for seg in sc.population.segments.values())
    return sc.economy.cost_of_funds / 365.0 + 1.0 / max(sc.chargeoff.dpd - entry, 30)


@dataclass(frozen=True)
class ChannelEconomics:
    """Per reason: P(treatment reaches the borrower), intensity jump on reaching; cost per attempt."""

    name: str
    reach: np.ndarray
    jump: np.ndarray
    promise_value: np.ndarray  # P(reach) × P(promise) × P(kept), per reason (conversations only)
    cost: float
    fatigue: float


def channel_economics(sc: Scenario, name: str) -> ChannelEconomics:
    ch: Channel = sc.channels[name]
    reasons = list(sc.reasons.values())
    contact = np.array([r.contactability for r in reasons])
    reach = ch.contact_prob * np.minimum(1.0, ch.rpc_prob * contact)
    jump = ch.effect * np.array([r.responsiveness for r in reasons])
    promise = np.zeros(len(reasons))
    if ch.kind in CONVERSATIONS and ch.promise_prob > 0:
        promise = reach * np.minimum(1.0, ch.promise_prob * np.array([r.willingness for r in reasons]))
        promise = promise * np.array([r.promise_kept for r in reasons])
    cost = ch.cost
    if ch.team is not None:
        team = sc.teams[ch.team]
        rate = team.cost_per_fte_day / ((team.shift[1] - team.shift[0]) * 60.0)
        h = team.handle_minutes
        p_rpc = float(np.mean(reach))
        minutes = (
            (1 - ch.contact_prob) * h.no_answer.build().mean
            + (ch.contact_prob - p_rpc) * h.wrong_party.build().mean
            + p_rpc * (h.right_party.build().mean + h.wrap_up.build().mean)
        )
        cost += rate * minutes
    return ChannelEconomics(name, reach, jump, promise, cost, ch.fatigue)


class _Sends:
    """Sends of each channel per account, for the wear factor (1 − fatigue)^k of the next one."""

    def __init__(self, n: int, names: list[str]) -> None:
        self.count = {k: np.zeros(n, dtype=np.int32) for k in names}

    def wear(self, ch: ChannelEconomics, idx: np.ndarray) -> np.ndarray:
        return (1.0 - ch.fatigue) ** self.count[ch.name][idx] if ch.fatigue > 0 else np.ones(idx.size)

    def add(self, name: str, idx: np.ndarray) -> None:
        self.count[name][idx] += 1


class CGWPolicy:
    """Treat with ``channel`` when the estimated intensity is below the optimal frontier λ*(balance).

    ``shadow`` multiplies the treatment cost the frontier is solved for (1 = the channel's true cost):
    a budget lever, used to equalise spend with another policy. One treatment a business day at most,
    from ``start_dpd``; the CGW control is continuous, the engine's treatment a fixed jump δ₂.
    """

    uses_collectability = True

    def __init__(self, channel: str = "sms", *, shadow: float = 1.0, start_dpd: int = 1) -> None:
        self.channel, self.shadow, self.start_dpd = channel, shadow, start_dpd

    def reset(self, ctx: PolicyContext) -> None:
        sc = ctx.scenario
        self.econ = channel_economics(sc, self.channel)
        rho = window_rate(sc)
        self.params = reason_params(sc)
        self.sends = _Sends(ctx.n_accounts, [self.channel])
        # λ* depends on balance and cost only through w/ĉ (the problem is linear in both): one table a reason.
        self.grid = np.geomspace(1e-3, W_OVER_COST_MAX, 400)
        self.tables = [optimal_intensity(p, rho, 1.0, 1.0, self.grid) for p in self.params]

    def frontier(self, view: AccountView, idx: np.ndarray) -> np.ndarray:
        post = view.collectability.reason_posterior()[idx]
        wear = self.sends.wear(self.econ, idx)
        out = np.zeros(idx.size)
        for r, table in enumerate(self.tables):
            delta = self.econ.jump[r] * self.econ.reach[r] * wear
            chat = self.shadow * self.econ.cost / np.maximum(delta, 1e-300)
            scaled = np.clip(view.balance[idx] / chat, self.grid[0], self.grid[-1])
            out += post[:, r] * np.interp(np.log(scaled), np.log(self.grid), table)
        return out

    def decide(self, day: int, view: AccountView) -> ActionPlan:
        plan = ActionPlan()
        cand = np.flatnonzero(view.in_house & (view.dpd >= self.start_dpd) & (view.promise_due_day < day))
        if cand.size:
            treat = cand[view.intensity[cand] < self.frontier(view, cand)]
            self.sends.add(self.channel, treat)
            plan.add(self.channel, treat, f"cgw/{self.channel}")
        return plan


class UpliftPolicy:
    """Each business day, each in-house account gets the channel whose expected uplift most exceeds its cost.

    The ``base`` ladder (default: the scenario's) keeps its legal and agency rungs; its contact rungs are
    replaced by the uplift choice among ``channels``. A conversation channel is used only within its DPD
    range (``call`` to DPD 30, ``late_call`` after), as the ladder's teams split the work.
    """

    uses_collectability = True

    def __init__(
        self,
        channels: tuple[str, ...] = ("sms", "letter", "call", "late_call"),
        *,
        base: LadderPolicy | None = None,
        margin: float = 1.0,
        call_split_dpd: int = 30,
    ) -> None:
        self.channels, self.margin, self.split = channels, margin, call_split_dpd
        self.base = base or LadderPolicy()

    def reset(self, ctx: PolicyContext) -> None:
        sc = ctx.scenario
        self.base.reset(ctx)
        self.kinds = {k: c.kind for k, c in sc.channels.items()}
        self.econ = [channel_economics(sc, k) for k in self.channels]
        self.sends = _Sends(ctx.n_accounts, list(self.channels))
        rho = window_rate(sc)
        self.lam_grid = np.linspace(0.0, 2.0, 801)
        self.u = [_Kernel(p, rho).u(self.lam_grid) for p in reason_params(sc)]

    def _u(self, r: int, lam: np.ndarray) -> np.ndarray:
        return np.interp(lam, self.lam_grid, self.u[r])

    def net_uplift(self, ch: ChannelEconomics, view: AccountView, idx: np.ndarray) -> np.ndarray:
        """Expected gain in collections from one treatment, minus its cost, per account in ``idx``."""
        lam = view.intensity[idx]
        post = view.collectability.reason_posterior()[idx]
        w = view.balance[idx]
        wear = self.sends.wear(ch, idx)
        gain = np.zeros(idx.size)
        for r in range(post.shape[1]):
            base = self._u(r, lam)
            up = ch.reach[r] * (self._u(r, lam + ch.jump[r] * wear) - base) + ch.promise_value[r] * (1 - base)
            gain += post[:, r] * up
        return gain * w - self.margin * ch.cost

    def decide(self, day: int, view: AccountView) -> ActionPlan:
        plan = ActionPlan()
        for d in self.base.decide(day, view).dispatches:
            if self.kinds[d.channel] in ("legal", "agency"):
                plan.add(d.channel, d.accounts, d.rule)
        cand = np.flatnonzero(view.in_house & (view.dpd >= 1) & (view.promise_due_day < day) & ~view.legal_active)
        if cand.size == 0:
            return plan
        best = np.zeros(cand.size)
        choice = np.full(cand.size, -1)
        dpd = view.dpd[cand]
        for c, ch in enumerate(self.econ):
            net = self.net_uplift(ch, view, cand)
            if ch.name == "call":
                net = np.where(dpd <= self.split, net, -np.inf)
            elif ch.name == "late_call":
                net = np.where(dpd > self.split, net, -np.inf)
            better = net > best
            best[better], choice[better] = net[better], c
        for c, ch in enumerate(self.econ):
            idx = cand[choice == c]
            self.sends.add(ch.name, idx)
            plan.add(ch.name, idx, f"uplift/{ch.name}")
        return plan
