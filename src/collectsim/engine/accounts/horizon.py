"""What is still open at the horizon is worth something: its expected value, untreated after the horizon.

A run stops at its horizon, but accounts do not: placed accounts keep paying the
agency, court cases reach judgement and garnishment, promises fall due, plans pay
instalments, and in-house accounts may still pay before charge-off. Cutting that off
would make every late-acting strategy (legal, agency) look worse than it is. Each
open account is valued here, per account and in closed form, assuming **no further
treatment by the policy**: what is already under way (placements, court cases,
promises, plans) runs its course; nothing new is started.

- Repayment (in house until charge-off; placed until the placement ends, with the
  agency's scheduled contacts): the Chehrazi–Glynn–Weber expected balance
  E[w_t] = w·exp(−λα(t) − κλ∞A(t)), A = ∫α, with α' = −κα + p + (1 − p)∫[1 − (1 − r)e^{−(δ₁₀+δ₁₁r)α}]dF(r)
  (a payment clears the debt with probability p, else pays a share r ~ F). A
  contact reaching the borrower with probability q and adding δ at time s
  multiplies E[w_t] by 1 − q + q·e^{−δα(t−s)} (the process is affine in λ).
  α is tabulated once over a grid of p and time, so each account costs a few array
  operations.
- Court cases: the remaining steps of the pipeline at their scheduled dates (the
  desk knows its court dates), with the scenario's probabilities; enforcement
  garnishes weekly until the debt is paid.
- Promises and plans: the promise pays the balance with the borrower's kept
  probability; a plan pays its remaining instalments, each missed with the plan's
  miss odds (a missed one ends the plan).

Each account's expected collections are capped at what it still owes. Cash on day
H + k − 1 (end of day) is discounted by e^{−ρk} to the horizon H. Simplifications,
stated in docs/model-mechanics.md: a broken plan or promise is not followed by an
untreated in-house tail; a case is assumed still owed when the court acts; an
account recalled from the agency before charge-off is valued after recall from the
intensity expected at recall (its self-excitation during the placement ignored).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from collectsim.dists import Distribution
from collectsim.engine.accounts.behaviour import full_payment_odds
from collectsim.engine.accounts.state import ACTIVE, ENFORCING, FILED, SERVED, WON, WRITTEN_OFF, AccountState
from collectsim.policy import NEVER
from collectsim.scenario.schema import Agency, Recovery, Scenario

STEPS_PER_DAY = 4
P_GRID = 41
R_NODES = 24
CHUNK = 20_000
BLOCK_CELLS = 131_072  # (rows × days) worked at once: a block's arrays (1 MB each) stay in the core's cache
WEEK = 7

# Where the value sits, for the KPI breakdown; "recovery" only with a [recovery] table.
IN_HOUSE, AGENCY, LEGAL, OFFERS, RECOVERY = 0, 1, 2, 3, 4
SOURCE_NAMES = ("in_house", "agency", "legal", "offers", "recovery")


def daily_rate(annual: float) -> float:
    """Continuous daily discount rate ρ of an annual cost of funds: e^{−365ρ} = 1/(1 + annual)."""
    return math.log1p(annual) / 365.0


class ExpectedBalance:
    """α(t) and A(t) = ∫α of the untreated self-exciting process, tabulated over p (full-payment odds) and t."""

    def __init__(self, kappa: float, delta_10: float, delta_11: float, partial: Distribution, days: int) -> None:
        self.kappa = kappa
        self.days = max(1, days)
        self.fine_t, self.alpha_fine, big_a = _solve(kappa, delta_10, delta_11, partial, self.days)
        self.alpha_day = self.alpha_fine[:, ::STEPS_PER_DAY]  # (P, days + 1) at whole days
        self.big_a_day = big_a[:, ::STEPS_PER_DAY]

    @staticmethod
    def rows(table: np.ndarray, p: np.ndarray, width: int) -> np.ndarray:
        """Per account, the table's row interpolated at its p, for days 0..width−1: (1 − w)·t[j] + w·t[j + 1].

        Worked in place on the two gathered rows (no temporaries the size of the result).
        """
        x = np.clip(p, 0.0, 1.0) * (P_GRID - 1)
        j = np.minimum(x.astype(np.int64), P_GRID - 2)
        w = (x - j)[:, None]
        t = table[:, :width]
        out = t.take(j, axis=0)
        out *= 1 - w
        upper = t.take(j + 1, axis=0)
        upper *= w
        out += upper
        return out

    def alpha(self, p: np.ndarray, width: int) -> np.ndarray:
        return self.rows(self.alpha_day, p, width)

    def shifted_table(self, width: int, shift: float) -> np.ndarray:
        """α(m − shift) for m = 0..width−1 (0 where m − shift < 0), for every p of the grid: read with ``rows``."""
        t = np.arange(width) - shift
        return np.stack([np.interp(t, self.fine_t, row, left=0.0) for row in self.alpha_fine])

    def share(self, lam: np.ndarray, lam_inf: np.ndarray, p: np.ndarray, width: int) -> np.ndarray:
        """E[w_t]/w for t = 0..width−1 days, per account: exp(−λα − κλ∞A), in place."""
        out = self.alpha(p, width)
        out *= -lam[:, None]
        big_a = self.rows(self.big_a_day, p, width)
        big_a *= self.kappa * lam_inf[:, None]
        out -= big_a
        return np.exp(out, out=out)


@dataclass(frozen=True)
class Cadence:
    """Scheduled contacts of a placement or a recovery stage: every ``every`` days from ``start`` (per account).

    Day 0 of the curve they act on is ``now`` (the horizon, or per account the day a stage ends).
    """

    start: np.ndarray
    now: int | np.ndarray
    every: int
    prob: float
    effect: float

    @classmethod
    def of(cls, spec: Agency | Recovery, start: np.ndarray, now: int | np.ndarray) -> Cadence:
        """The contacts a table's ``contact_every_days``, ``contact_prob`` and ``effect`` describe."""
        return cls(start, now, spec.contact_every_days, spec.contact_prob, spec.effect)


@dataclass(frozen=True)
class HorizonValue:
    """Per account: expected collections and direct costs after the horizon, plain and discounted to it."""

    collections: np.ndarray
    collections_pv: np.ndarray
    costs: np.ndarray
    costs_pv: np.ndarray
    by_source: dict[str, float]  # expected collections by where they come from


class HorizonValuer:
    def __init__(self, sc: Scenario, state: AccountState, miss_next: np.ndarray, miss_after: np.ndarray) -> None:
        self.sc = sc
        self.s = state
        self.miss_next = miss_next
        self.miss_after = miss_after
        self.rho = daily_rate(sc.economy.cost_of_funds)
        rep = sc.repayment
        self.in_house = ExpectedBalance(
            rep.kappa, rep.delta_10, rep.delta_11, rep.partial_fraction.build(), sc.chargeoff.dpd + 1
        )
        tiers = sc.agency.tiers
        self.tier_rates = np.array([t[1] for t in tiers])
        self.tier_days = np.array([t[2] for t in tiers], dtype=np.int64)
        self.agency = ExpectedBalance(
            rep.kappa, rep.delta_10, rep.delta_11, sc.agency.partial_fraction.build(), int(self.tier_days.sum()) + 1
        )
        self.sources = SOURCE_NAMES if sc.recovery else SOURCE_NAMES[:RECOVERY]
        self.recovery = None
        if sc.recovery is not None:
            law = sc.recovery.partial_fraction.build()
            self.recovery = ExpectedBalance(rep.kappa, rep.delta_10, rep.delta_11, law, sc.recovery.days + 1)

    def value(self, horizon: int) -> HorizonValue:
        """Value every open account; the parts are combined in the order the cash would come.

        A pending promise falls due first (within days) and pays the balance if kept; the repayment
        process pays until charge-off or recall; a court case then garnishes what is left.
        """
        s = self.s
        n = s.n
        parts = np.zeros((len(self.sources), n))
        parts_pv = np.zeros((len(self.sources), n))
        costs = np.zeros(n)
        costs_pv = np.zeros(n)
        owed = s.collectible(np.arange(n))
        self._repayment(horizon, parts, parts_pv, costs, costs_pv)
        if self.recovery is not None:
            self._recovery(horizon, parts, parts_pv, costs, costs_pv)
        left = np.maximum(owed - parts[IN_HOUSE] - parts[AGENCY], 0.0)
        self._legal(horizon, left, parts[LEGAL], parts_pv[LEGAL], costs, costs_pv)
        self._promises(horizon, parts, parts_pv, costs, costs_pv)
        self._plans(horizon, parts[OFFERS], parts_pv[OFFERS])
        total = parts.sum(axis=0)
        scale = np.ones(n)
        over = total > owed  # then total > 0: the division is safe where it is taken
        scale[over] = owed[over] / total[over]
        parts *= scale
        parts_pv *= scale
        return HorizonValue(
            collections=parts.sum(axis=0),
            collections_pv=parts_pv.sum(axis=0),
            costs=costs,
            costs_pv=costs_pv,
            by_source={name: float(parts[k].sum()) for k, name in enumerate(self.sources)},
        )

    # -- repayment ---------------------------------------------------------------------------------

    def _intensity(self, idx: np.ndarray, horizon: int) -> np.ndarray:
        """λ at the horizon: the decaying base part plus the excitation left at the end of the last day."""
        p, s = self.s.pop, self.s
        age = horizon - s.episode_start[idx]
        return p.lam_inf[idx] + (p.lam_0[idx] - p.lam_inf[idx]) * np.exp(-self.sc.repayment.kappa * age) + s.excite[idx]

    def _repayment(self, horizon: int, parts, parts_pv, costs, costs_pv) -> None:
        s, sc = self.s, self.sc
        placed = np.flatnonzero(s.placed)
        active = np.flatnonzero((s.status == ACTIVE) & ~s.placed)
        dpd = s.dpd.astype(np.int64) + 1  # tomorrow's DPD if nothing is paid: the horizon's
        # A plan or a payment holiday stops the charge-off clock: the account may pay until it ends.
        plan_end = np.where(s.on_plan, s.plan_next + (s.plan_left.astype(np.int64) - 1) * s.plan_every - horizon, 0)
        paused_until = np.maximum(np.where(s.holiday_until >= 0, s.holiday_until - horizon, 0), plan_end)
        days_left = np.maximum(sc.chargeoff.dpd - dpd, paused_until)
        for chunk in _chunks(active):
            w = s.collectible(chunk)
            gross, pv, _ = self._flows(
                self.in_house,
                chunk,
                w,
                self._intensity(chunk, horizon),
                s.pop.ability[chunk],
                days_left[chunk],
                start=0,
            )
            parts[IN_HOUSE, chunk] += gross
            parts_pv[IN_HOUSE, chunk] += pv
        for chunk in _chunks(placed):
            lam = self._intensity(chunk, horizon)
            w = s.collectible(chunk)
            p_full = full_payment_odds(sc.agency, s.pop.ability[chunk])
            window = np.maximum(s.placement_end[chunk] - horizon, 0)
            at = s.placement_start[chunk]
            gross, pv, left, fee, fee_pv = self._placements(
                chunk, w, lam, p_full, window, tier=s.agency_tier[chunk], placed_at=at, now=horizon
            )
            parts[AGENCY, chunk] += gross
            parts_pv[AGENCY, chunk] += pv
            costs[chunk] += fee
            costs_pv[chunk] += fee_pv
            # Recalled before charge-off: back in house, untreated, until charge-off.
            back = (s.status[chunk] == ACTIVE) & (days_left[chunk] > window)
            if back.any():
                sub = chunk[back]
                lam_back = s.pop.lam_inf[sub] + (lam[back] - s.pop.lam_inf[sub]) * np.exp(
                    -sc.repayment.kappa * window[back]
                )
                g2, pv2, _ = self._flows(
                    self.in_house,
                    sub,
                    left[back],
                    lam_back,
                    s.pop.ability[sub],
                    days_left[sub] - window[back],
                    start=window[back],
                )
                parts[IN_HOUSE, sub] += g2
                parts_pv[IN_HOUSE, sub] += pv2

    def _placements(self, idx, w, lam, p_full, window, *, tier, placed_at, now, start=0):
        """The current placement and, for charged-off debt, every later agency tier in turn.

        ``window`` is the days from ``now`` (day 0 of the curve: the horizon, or the day a recovery stage
        ends) to the end of the placement at ``tier`` that began on ``placed_at``; ``start`` is the days
        from the horizon to ``now``, for discounting. Collections through the end of each tier are read
        off one expected-balance curve (the account keeps its process from agency to agency); each
        tier's part pays that tier's commission. Returns (gross, discounted, expected balance left,
        commission, discounted).
        """
        s = self.s
        tier = tier.astype(np.int64)
        onward = s.status[idx] == WRITTEN_OFF
        end, before, before_pv = window.copy(), np.zeros(idx.size), np.zeros(idx.size)
        fee, fee_pv = np.zeros(idx.size), np.zeros(idx.size)
        agency = Cadence.of(self.sc.agency, placed_at, now)
        for k in range(self.tier_rates.size):
            gross, pv, left = self._flows(self.agency, idx, w, lam, p_full, end, start=start, contacts=agency)
            rate = self.tier_rates[np.minimum(tier + k, self.tier_rates.size - 1)]
            fee += rate * (gross - before)
            fee_pv += rate * (pv - before_pv)
            before, before_pv = gross, pv
            more = onward & (tier + k + 1 < self.tier_rates.size)
            if not more.any():
                break
            end = end + np.where(more, self.tier_days[np.minimum(tier + k + 1, self.tier_days.size - 1)], 0)
        return before, before_pv, left, fee, fee_pv

    def _flows(self, table: ExpectedBalance, idx, w, lam, p_full, window, *, start, contacts: Cadence | None = None):
        """Expected collections over ``window`` paying days: (gross, discounted, expected balance left)."""
        gross, pv, left = np.empty(idx.size), np.empty(idx.size), np.empty(idx.size)
        for rows, share in self._shares(table, idx, lam, p_full, window, contacts):
            at = start if np.ndim(start) == 0 else start[rows]
            gross[rows], pv[rows], left[rows] = self._read(share, w[rows], window[rows], start=at)
        return gross, pv, left

    def _read(self, share: np.ndarray, w, window, *, start):
        """(gross, discounted, expected balance left) off an expected-balance share over ``window`` days."""
        width = share.shape[1]
        k = np.arange(width)
        inside = k[None, 1:] <= window[:, None]
        drop = np.subtract(share[:, :-1], share[:, 1:])
        drop *= inside
        disc = np.exp(-self.rho * (np.asarray(start)[..., None] + k[None, 1:]))
        gross = w * drop.sum(axis=1)
        drop *= disc
        pv = w * drop.sum(axis=1)
        last = share[np.arange(w.size), np.minimum(window, width - 1)]
        return gross, pv, w * last

    def _shares(self, table: ExpectedBalance, idx, lam, p_full, window, contacts: Cadence | None):
        """E[w_t]/w for t = 0..max window (with the scheduled contacts if any), a block of rows at a time.

        Yields (rows, their shares), ``rows`` positions in ``idx``. Every block has the width of the whole
        set, so a row's sums over its days are the same as in one array (numpy's pairwise sum of a row
        depends on the row's length). With contacts the rows go in order of their first contact, so a
        block holds few groups of equal contact dates (``_contact_factor``).
        """
        width = min(int(window.max(initial=0)) + 1, table.days + 1)
        lam_inf = self.s.pop.lam_inf[idx]
        if contacts is None:
            order, first, shifted = np.arange(idx.size), None, None
        else:
            first = _first_contact_offset(contacts.start, contacts.every, contacts.now)
            order = np.argsort(first, kind="stable")
            shifted = table.shifted_table(width, self.sc.calendar.contact_hours[0] / 24.0)  # column j: α(j − frac)
        block = max(1, BLOCK_CELLS // width)
        for k in range(0, idx.size, block):
            rows = order[k : k + block]
            share = table.share(lam[rows], lam_inf[rows], p_full[rows], width)
            if contacts is not None:
                alpha = table.rows(shifted, p_full[rows], width)
                share *= self._contact_factor(idx[rows], alpha, window[rows], first[rows], contacts)
            yield rows, share

    def _contact_factor(self, idx, shifted, window, first, contacts: Cadence) -> np.ndarray:
        """Π over the scheduled contacts (the agency's or the recovery unit's) of 1 − q + q·e^{−δα(t − s)}.

        ``shifted``: α(j − frac) per account and column j (frac: the contacts' hour as a share of the day);
        ``first``: days from day 0 to each account's first contact, in rising order.
        """
        s = self.s
        q = np.minimum(1.0, contacts.prob * s.pop.contactability[idx])
        delta = contacts.effect * s.pop.responsiveness[idx]
        # Accounts placed on the same weekday share contact dates: each contact at day c touches columns > c only.
        # They are worked on in groups of equal first contact, each a contiguous block of rows (views, not copies).
        factor = np.ones(shifted.shape)
        starts = np.flatnonzero(np.diff(first, prepend=-1))  # first ≥ 0: the first row starts a group
        for a, b in zip(starts, np.append(starts[1:], first.size), strict=True):
            f = int(first[a])
            end = int(window[a:b].max()) + 1  # columns past every window of the group are never read
            if f >= end - 1:  # no contact before the group's last column that is read
                continue
            qg = q[a:b, None]
            # A contact at day c multiplies column c + m by the same term for every c: m days after a contact.
            after = np.multiply(-delta[a:b, None], shifted[a:b, 1:end])
            np.exp(after, out=after)
            after *= qg
            after += 1.0 - qg
            for c in range(f, end - 1, contacts.every):
                factor[a:b, c + 1 : end] *= after[:, : end - c - 1]
        return factor

    # -- in-house recovery -------------------------------------------------------------------------

    def _recovery(self, horizon: int, parts, parts_pv, costs, costs_pv) -> None:
        """Accounts in the recovery stage: the rest of the stage, then (``place_at_chargeoff``) the agency tiers.

        The stage's window runs to its end with the stage's payment law and its scheduled contacts; each
        contact costs ``cost_per_contact`` if the account still owes then (taken as the expected balance
        share, a slight undercount). After the stage the placements are valued as for a placed account,
        from the expected balance left and the intensity expected then (self-excitation in the stage
        ignored, as for a recall before charge-off).
        """
        s, sc, spec = self.s, self.sc, self.sc.recovery
        assert spec is not None and self.recovery is not None
        kappa = sc.repayment.kappa
        for chunk in _chunks(np.flatnonzero(s.in_recovery)):
            lam = self._intensity(chunk, horizon)
            w = s.collectible(chunk)
            window = np.maximum(s.recovery_end[chunk].astype(np.int64) - horizon, 0)
            p_full = full_payment_odds(spec, s.pop.ability[chunk])
            cadence = Cadence.of(spec, s.recovery_start[chunk], horizon)
            first = _first_contact_offset(cadence.start, cadence.every, horizon)
            left = np.empty(chunk.size)
            for rows, share in self._shares(self.recovery, chunk, lam, p_full, window, cadence):
                gross, pv, left[rows] = self._read(share, w[rows], window[rows], start=0)
                parts[RECOVERY, chunk[rows]] += gross
                parts_pv[RECOVERY, chunk[rows]] += pv
                # Contacts on days first, first + every, … before the stage ends, while the account still owes.
                f, c = first[rows, None], np.arange(share.shape[1])
                owes = share * ((c >= f) & ((c - f) % cadence.every == 0) & (c < window[rows, None]))
                costs[chunk[rows]] += spec.cost_per_contact * owes.sum(axis=1)
                costs_pv[chunk[rows]] += spec.cost_per_contact * (owes * np.exp(-self.rho * (c + 1))).sum(axis=1)
            if not sc.agency.place_at_chargeoff:
                continue
            end = s.recovery_end[chunk].astype(np.int64)
            lam_end = s.pop.lam_inf[chunk] + (lam - s.pop.lam_inf[chunk]) * np.exp(-kappa * window)
            g2, pv2, _, fee, fee_pv = self._placements(
                chunk,
                left,
                lam_end,
                full_payment_odds(sc.agency, s.pop.ability[chunk]),
                np.full(chunk.size, self.tier_days[0]),
                tier=np.zeros(chunk.size, dtype=np.int64),
                placed_at=end,
                now=end,
                start=window,
            )
            parts[AGENCY, chunk] += g2
            parts_pv[AGENCY, chunk] += pv2
            costs[chunk] += fee
            costs_pv[chunk] += fee_pv

    # -- court cases -------------------------------------------------------------------------------

    def _legal(self, horizon: int, left: np.ndarray, out, out_pv, costs, costs_pv) -> None:
        """Open cases, on what the repayment process is expected to leave owing."""
        s, spec = self.s, self.sc.legal
        case = np.flatnonzero(s.legal_active)
        if case.size == 0:
            return
        owed = left[case]
        stage = s.legal_stage[case]
        nxt = s.legal_next[case] - horizon
        weekly = spec.weekly_fraction * (0.5 + s.pop.ability[case]) * owed
        gross = np.zeros(case.size)
        pv = np.zeros(case.size)
        cost = np.zeros(case.size)
        cost_pv = np.zeros(case.size)

        def enforce(sel: np.ndarray, p_win: np.ndarray, t_judgement: np.ndarray) -> None:
            t_enf = t_judgement + spec.enforcement_delay_days
            p = p_win * spec.enforceable_share
            g, v = self._garnish(owed[sel], weekly[sel], np.floor(t_enf) + WEEK)
            gross[sel] += p * g
            pv[sel] += p * v
            cost[sel] += p * spec.enforcement_fee
            cost_pv[sel] += p * spec.enforcement_fee * self._disc(t_enf)

        enf = stage == ENFORCING
        g, v = self._garnish(
            owed[enf], s.garnish_amount[case[enf]], (s.garnish_next[case[enf]] - horizon).astype(float)
        )
        gross[enf] += g
        pv[enf] += v
        won = stage == WON
        enforce(won, np.ones(won.sum()), nxt[won] - spec.enforcement_delay_days)
        served = stage == SERVED
        contested = s.legal_contested[case[served]]
        enforce(served, np.where(contested, spec.contested_win_prob, 1.0), nxt[served])
        filed = stage == FILED
        settle = spec.settle_after_service
        settled = owed[filed] * (1.0 - spec.settle_discount)
        gross[filed] += settle * settled
        pv[filed] += settle * settled * self._disc(nxt[filed])
        mean_court = (1 - spec.contested_prob) * spec.court_days.build().mean + spec.contested_prob * (
            spec.contested_days.build().mean
        )
        p_win = (1 - settle) * ((1 - spec.contested_prob) + spec.contested_prob * spec.contested_win_prob)
        enforce(filed, np.full(filed.sum(), p_win), nxt[filed] + mean_court)
        out[case] += gross
        out_pv[case] += pv
        costs[case] += cost
        costs_pv[case] += cost_pv

    def _disc(self, t: np.ndarray) -> np.ndarray:
        """Discount factor of cash paid at the end of the day containing time t (days after the horizon)."""
        return np.exp(-self.rho * (np.floor(np.maximum(t, 0.0)) + 1))

    def _garnish(self, owed: np.ndarray, weekly: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weekly instalments from ``first`` (days after the horizon) until ``owed`` is paid: (gross, discounted)."""
        weekly = np.maximum(weekly, 1e-9)
        count = np.maximum(1.0, np.ceil(owed / weekly - 1e-12))
        last = owed - (count - 1) * weekly
        x = WEEK * self.rho
        v = math.exp(-x)
        v0 = self._disc(first)
        # Σ_{k<count-1} v^k as expm1s: (1 − v^m)/(1 − v) is 0/0 once a tiny rate leaves v == 1.0 in floats.
        series = np.expm1(-x * (count - 1)) / math.expm1(-x) if x > 0 else count - 1
        return owed.copy(), weekly * v0 * series + last * v0 * v ** (count - 1)

    # -- promises and plans ------------------------------------------------------------------------

    def _promises(self, horizon: int, parts, parts_pv, costs, costs_pv) -> None:
        """A pending promise, kept with the borrower's odds, pays the balance; broken, the rest follows."""
        s = self.s
        promised = np.flatnonzero((s.promise_due != NEVER) & (s.promise_due >= horizon) & (s.status == ACTIVE))
        keep = s.pop.promise_kept[promised]
        amount = np.minimum(s.promise_amount[promised], s.collectible(promised))
        parts[:, promised] *= 1 - keep
        parts_pv[:, promised] *= 1 - keep
        costs[promised] *= 1 - keep
        costs_pv[promised] *= 1 - keep
        parts[OFFERS, promised] += keep * amount
        parts_pv[OFFERS, promised] += keep * amount * self._disc((s.promise_due[promised] - horizon).astype(float))

    def _plans(self, horizon: int, out, out_pv) -> None:
        """Remaining instalments, each paid only if every one before it was (a miss ends the plan)."""
        s = self.s
        plan = np.flatnonzero(s.on_plan & (s.status == ACTIVE))
        if plan.size == 0:
            return
        miss_first = (1 - s.pop.promise_kept[plan]) * self.miss_next[plan]
        miss_after = (1 - s.pop.promise_kept[plan]) * self.miss_after[plan]
        alive = np.ones(plan.size)
        left = s.collectible(plan)
        for j in range(int(s.plan_left[plan].max(initial=0))):
            due = j < s.plan_left[plan]
            alive = alive * np.where(due, 1 - (miss_first if j == 0 else miss_after), 1.0)
            last = j == s.plan_left[plan] - 1
            pay = np.where(due, np.where(last, left, np.minimum(s.plan_amount[plan], left)), 0.0)
            when = (s.plan_next[plan] + j * s.plan_every[plan] - horizon).astype(float)
            out[plan] += alive * pay
            out_pv[plan] += alive * pay * self._disc(when)
            left = left - pay


@functools.lru_cache(maxsize=16)
def _solve(
    kappa: float, delta_10: float, delta_11: float, partial: Distribution, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RK4 on the α equation for every p of the grid at once; (fine times, α, ∫α), read-only.

    Cached: the tables depend on the scenario's parameters only, and replications and sweep
    points of one scenario reuse them (they cost about a third of a second to build).
    """
    x, w = np.polynomial.legendre.leggauss(R_NODES)
    r = np.clip(partial.quantile((x + 1) / 2), 0.0, 1.0)
    p = np.linspace(0.0, 1.0, P_GRID)
    jump, keep, weight = delta_10 + delta_11 * r, 1.0 - r, w / 2

    def f(a: np.ndarray) -> np.ndarray:  # a: (P,)
        partial_term = (weight * (1.0 - keep * np.exp(-np.outer(a, jump)))).sum(axis=1)
        return -kappa * a + p + (1.0 - p) * partial_term

    n = days * STEPS_PER_DAY
    h = 1.0 / STEPS_PER_DAY
    alpha = np.zeros((P_GRID, n + 1))
    big_a = np.zeros((P_GRID, n + 1))
    a, big = np.zeros(P_GRID), np.zeros(P_GRID)
    for k in range(n):  # RK4 on (α, A) with A' = α, so ∫α is as accurate as α
        k1 = f(a)
        k2 = f(a + h / 2 * k1)
        k3 = f(a + h / 2 * k2)
        k4 = f(a + h * k3)
        big = big + h / 6 * (a + 2 * (a + h / 2 * k1) + 2 * (a + h / 2 * k2) + (a + h * k3))
        a = a + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        alpha[:, k + 1] = a
        big_a[:, k + 1] = big
    fine_t = np.arange(n + 1) * h
    for arr in (fine_t, alpha, big_a):
        arr.flags.writeable = False
    return fine_t, alpha, big_a


def _first_contact_offset(start: np.ndarray, every: int, horizon: int) -> np.ndarray:
    """Days from the horizon to each account's next agency contact (contacts fall on start + k·every, k ≥ 1)."""
    k = np.maximum(1, -(-(horizon - start) // every))  # smallest k ≥ 1 with start + k·every ≥ horizon
    return start + k * every - horizon


def _chunks(idx: np.ndarray):
    for k in range(0, idx.size, CHUNK):
        yield idx[k : k + CHUNK]
