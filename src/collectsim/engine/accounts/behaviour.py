"""Repayment behaviour: the self-exciting intensity of Chehrazi & Weber (docs/sources.md, Repayment behaviour).

λ(t) = λ∞ + (λ₀ − λ∞)e^{−κt} + Σ jumps·e^{−κ(t−s)}, with jumps δ₁₀ + δ₁₁R at partial
payments and δ₂ at effective treatments. Payments arrive when the integrated
intensity exceeds an Exp(1) threshold (exact for an inhomogeneous Poisson process);
each day's integral is computed in closed form, so the step is exact up to at most
one payment per account per day. A placed account keeps this process; the agency's
contacts (``AgencyContacts``, given by the simulation) add jumps to it like any other
treatment. So does an account charged off into in-house recovery, with the recovery unit's
contacts and the stage's own payment law.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from collectsim.engine.accounts.state import ACTIVE, CENT, NEVER, AccountState
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Agency, Recovery, Scenario


@dataclass(frozen=True)
class DayPayments:
    """Payments booked today, by source."""

    accounts: np.ndarray
    amounts: np.ndarray
    source: np.ndarray  # 0 self-cure, 1 kept promise, 2 agency, 3 in-house recovery


SELF, PROMISE, AGENCY, RECOVERY = 0, 1, 2, 3
SPARSE_JUMPS = 8  # jump sums are read account by account once at most 1 live account in this many has any


def full_payment_odds(spec: Agency | Recovery, ability: np.ndarray) -> np.ndarray:
    """P(a payment while placed or in recovery clears the debt): ``full_payment_prob`` × ability / 0.5, capped at 1."""
    return np.minimum(1.0, spec.full_payment_prob * ability / 0.5)


class AgencyContacts(Protocol):
    """The agency's (or the recovery unit's) own treatment, on its cadence rather than the policy's."""

    frac: float  # when in the day the contacts happen
    effect: float  # a reach adds effect × responsiveness

    def reached(self, day: int) -> np.ndarray:
        """Placed accounts the agency contacts today and reaches."""
        ...


def repaying(s: AccountState, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Whether each account (of ``idx``; all by default) has its repayment process running: in collection,
    at an agency, or in in-house recovery."""
    return (s.status[idx] == ACTIVE) | s.placed[idx] | s.in_recovery[idx]


class Repayment:
    def __init__(
        self,
        sc: Scenario,
        state: AccountState,
        streams: Streams,
        thresholds: KeyedUniforms,
        agency: AgencyContacts,
        recovery: AgencyContacts | None = None,
    ) -> None:
        self.sc = sc
        self.s = state
        k = sc.repayment.kappa
        self.kappa = k
        self.decay = math.exp(-k)
        self.day_integral = (1 - self.decay) / k
        self._decay_table = np.ones(0)
        self.thresholds = thresholds
        self.sizes = KeyedUniforms(streams, "payment_size", state.n)
        self.partial = sc.repayment.partial_fraction.build()
        self.agency_partial = sc.agency.partial_fraction.build()
        self.agency = agency
        self.recovery = recovery
        self.recovery_spec = sc.recovery
        self.recovery_partial = sc.recovery.partial_fraction.build() if sc.recovery else None
        self.minimum_payers = sc.product is not None and sc.product.partial_payment == "minimum_due"
        # Accounts whose jump sums (``jump_integral``, ``jump_end``) may be non-zero: every jump flags its
        # account, and only a reset to zero clears the flag. A day's jumps reach few of the live accounts,
        # so the evening reads and resets the sums of the flagged ones instead of all of them.
        self.jumped = np.zeros(state.n, dtype=bool)

    def excite(self, idx: np.ndarray, delta: np.ndarray | float, frac: float) -> None:
        """Add an intensity jump at fraction ``frac`` of today: counts in today's integral and after."""
        rest = 1.0 - frac
        self.s.jump_integral[idx] += delta * (1 - math.exp(-self.kappa * rest)) / self.kappa
        self.s.jump_end[idx] += delta * math.exp(-self.kappa * rest)
        self.jumped[idx] = True

    def end_of_day(self, day: int) -> DayPayments:
        s = self.s
        self._agency_contacts(day)
        promised = self._promises(day)
        live = np.flatnonzero(repaying(s))
        excite = s.excite[live]
        paid = self._intensity_payments(day, live, excite)
        self._roll_over(live, excite, paid[0][~repaying(s, paid[0])])
        parts = [promised, paid]
        acc = np.concatenate([p[0] for p in parts])
        return DayPayments(acc, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]))

    def _roll_over(self, live: np.ndarray, excite: np.ndarray, closed: np.ndarray) -> None:
        """Into tomorrow: each live account's excitation (``excite``, as read this evening) decays a day and
        takes today's jumps, and the day's jump sums restart from zero.

        ``live`` and ``excite`` are what the intensity step read, so the large state arrays are not
        scanned and gathered a second time. The few accounts among them that a payment just ``closed``
        no longer repay and keep their values and flags as they were: they are put back rather than left
        out, as leaving them out would cost a pass over all the others.
        """
        s = self.s
        kept = s.excite[closed], s.jump_integral[closed], s.jump_end[closed], self.jumped[closed]
        jump_end, jumped = self._jump_sums(s.jump_end, live)
        s.excite[live] = excite * self.decay + jump_end
        s.jump_integral[jumped] = 0.0
        s.jump_end[jumped] = 0.0
        self.jumped[jumped] = False
        s.excite[closed], s.jump_integral[closed], s.jump_end[closed], self.jumped[closed] = kept

    def _jump_sums(self, sums: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``sums[live]`` for a jump sum; and the accounts of ``live`` whose sums may not be zero.

        While jumps reach many live accounts (the first days of a cohort) that is a plain gather, and
        all of ``live``. Later, with the day's jumps on a few of them, the sums are read off the flagged
        accounts alone: one that was never flagged, or was reset since, has its sums at exactly +0.0
        (they start there and only ever add, which cannot make −0.0), so the zeros filled in are the
        values a full gather reads.
        """
        flagged = self.jumped[live]
        if np.count_nonzero(flagged) > live.size // SPARSE_JUMPS:
            return sums[live], live
        at = np.flatnonzero(flagged)
        jumped = live[at]
        out = np.zeros(live.size)
        out[at] = sums[jumped]
        return out, jumped

    def _promises(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self.s
        due = np.flatnonzero(s.promise_due == day)
        kept = due[s.promise_keep[due]]
        broken = due[~s.promise_keep[due]]
        s.broken_promise_day[broken] = day
        s.promises_broken[broken] += 1
        s.promise_due[due] = NEVER
        owed = s.collectible(kept)
        amount = np.minimum(s.promise_amount[kept], owed)
        s.promises_kept[kept] += 1
        self._pay(kept, amount, day, 1.0, owed)
        return kept, amount, np.full(kept.size, PROMISE, dtype=np.int8)

    def _agency_contacts(self, day: int) -> None:
        """Today's agency (and recovery) contacts that reached the borrower add δ₂ = effect × responsiveness."""
        for desk in (self.agency, self.recovery):
            if desk is not None:
                reached = desk.reached(day)
                self.excite(reached, desk.effect * self.s.pop.responsiveness[reached], desk.frac)

    def _intensity_payments(
        self, day: int, live: np.ndarray, excite: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Payments of the accounts ``live`` (those repaying, ascending; ``excite`` their excitation) as their
        integrated intensity crosses the threshold."""
        s, p = self.s, self.s.pop
        age = day - s.episode_start[live]
        lam_inf = p.lam_inf[live]
        base = lam_inf + (p.lam_0[live] - lam_inf) * self._decayed(age) * self.day_integral
        excited = excite * self.day_integral + self._jump_sums(s.jump_integral, live)[0]
        hazard = base + excited
        before = s.threshold[live]
        after = before - hazard
        s.threshold[live] = after
        paying = after <= 0
        payers = live[paying]
        # When in the day the threshold was crossed (the day's integral taken as accruing evenly), and
        # how much of today's intensity is left after it: that part counts towards the next payment.
        at = np.clip(before[paying] / np.maximum(hazard[paying], 1e-300), 0.0, 1.0)
        leftover = -after[paying]
        u = self.sizes.draw(payers)
        # At the agency a payment clears the debt more often for borrowers able to pay (ability vs 0.5).
        full_prob = np.where(s.placed[payers], full_payment_odds(self.sc.agency, p.ability[payers]), p.ability[payers])
        held = s.in_recovery[payers]
        if self.recovery_spec is not None:
            full_prob[held] = full_payment_odds(self.recovery_spec, p.ability[payers[held]])
        # Rescale u within the 'partial' branch so one uniform decides both branch and size.
        part_u = np.clip((u - full_prob) / np.maximum(1 - full_prob, 1e-12), 1e-12, 1 - 1e-12)
        partial = u >= full_prob
        frac = self._partial_share(partial, s.placed[payers], held, part_u)
        owed = s.collectible(payers)
        amount = frac * owed
        if self.minimum_payers:
            # Card holders behind on a statement mostly pay the minimum (docs/sources.md, UCI card data).
            mins = partial & ~s.placed[payers] & (s.status[payers] == ACTIVE)
            amount[mins] = np.minimum(s.minimum_due[payers[mins]], owed[mins])
        source = np.where(s.placed[payers], AGENCY, np.where(held, RECOVERY, SELF)).astype(np.int8)
        within = self._pay(payers, amount, day, at, owed)
        # A second payment the same day is not lost: a threshold left below zero pays tomorrow.
        s.threshold[payers] = -np.log(self.thresholds.draw(payers)) - leftover - within
        return payers, amount, source

    def _decayed(self, age: np.ndarray) -> np.ndarray:
        """e^{−κ·age} for ages in whole days, read off a table: an exp for every live account every day was
        the largest single step of the evening. The table holds the same np.exp values, so nothing changes."""
        if age.size == 0 or age.min() < 0:
            return np.exp(-self.kappa * age)
        top = int(age.max())
        if top >= self._decay_table.size:
            self._decay_table = np.exp(-self.kappa * np.arange(max(top + 1, 2 * self._decay_table.size)))
        return self._decay_table[age]

    def _partial_share(
        self, partial: np.ndarray, placed: np.ndarray, held: np.ndarray, part_u: np.ndarray
    ) -> np.ndarray:
        """Share of the balance each payment clears: 1 for full payments, else the partial law's quantile.

        The quantile (an inverse Beta here) is the costly step, so it is taken only for the partial
        payments, and for each only under the law that applies (the agency's when placed, the
        stage's in recovery).
        """
        frac = np.ones(partial.size)
        laws = [(self.agency_partial, partial & placed), (self.partial, partial & ~placed & ~held)]
        if self.recovery_partial is not None:
            laws.append((self.recovery_partial, partial & held))
        for law, where in laws:
            if where.any():
                frac[where] = np.clip(law.quantile(part_u[where]), 0.0, 1.0)
        return frac

    def _pay(
        self, idx: np.ndarray, amount: np.ndarray, day: int, at: np.ndarray | float, owed: np.ndarray
    ) -> np.ndarray:
        """Book payments made at fraction ``at`` of today; each partial one excites the process from then on.

        ``owed`` is what each account owed just before (``collectible``): the caller sized the payments on it.
        Returns, per account, the part of the new jump's integral that falls within the rest of today.
        """
        s = self.s
        frac = amount / np.maximum(owed, CENT)
        s.book_payment(idx, amount, day)
        still = repaying(s, idx)
        rep = self.sc.repayment
        jump = np.where(still, rep.delta_10 + rep.delta_11 * frac, 0.0)
        rest = 1.0 - np.broadcast_to(np.asarray(at, dtype=float), idx.shape)
        s.jump_end[idx] += jump * np.exp(-self.kappa * rest)
        self.jumped[idx[still]] = True  # the others' jump is zero
        return jump * (1.0 - np.exp(-self.kappa * rest)) / self.kappa

    def excite_one(self, i: int, delta: float, frac: float) -> None:
        """Scalar ``excite`` for the team hot path."""
        rest = 1.0 - frac
        self.s.jump_integral[i] += delta * (1 - math.exp(-self.kappa * rest)) / self.kappa
        self.s.jump_end[i] += delta * math.exp(-self.kappa * rest)
        self.jumped[i] = True
