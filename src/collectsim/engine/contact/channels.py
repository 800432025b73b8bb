"""Actions reaching borrowers: automated sends (vectorised) and team attempts (one at a time).

A send or attempt reaches someone with ``contact_prob``; it is the right party with
``rpc_prob`` × the borrower's contactability (for a message or letter: delivered to
the borrower; only calls and visits are conversations). Reaching the right party adds the
channel's intensity jump δ₂ (scaled by the borrower's responsiveness) and, for
channels that can take one, may end in a promise to pay with probability
``promise_prob`` × willingness: a date 1–14 days ahead, kept or broken as drawn.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from collectsim.engine.accounts.behaviour import Repayment
from collectsim.engine.accounts.offers import OfferDesk
from collectsim.engine.accounts.state import ACTIVE, AccountState
from collectsim.engine.contact.complaints import ComplaintBook
from collectsim.engine.contact.conduct import ConductRules
from collectsim.engine.contact.intensity import ContactIntensity
from collectsim.engine.contact.outcomes import NO_ANSWER, RIGHT_PARTY, WRONG_PARTY
from collectsim.rng import KeyedUniforms, Streams
from collectsim.scenario.schema import Channel, Scenario

# Only a conversation is a right-party contact for the account (RPC counts, "contacted_recently");
# a delivered message or letter reaches the right party without one.
CONVERSATIONS = ("call", "visit")
COMPLAINT_KINDS = ("call", "visit", "letter", "message")
OFFER_KINDS = ("settlement", "plan", "deferral")


@dataclass
class ChannelTally:
    sent: int = 0
    contacts: int = 0
    rpcs: int = 0
    promises: int = 0
    cost: float = 0.0


class Contact:
    """Outcome draws and their effects, shared by automated sends and team attempts.

    Every performed action feeds the conduct rules' counters, the complaint book and,
    for offer channels, the offer desk: they are given here, so a contact always has them.
    """

    def __init__(
        self,
        sc: Scenario,
        state: AccountState,
        behaviour: Repayment,
        streams: Streams,
        *,
        conduct: ConductRules,
        complaints: ComplaintBook,
        offers: OfferDesk,
        intensity: ContactIntensity | None = None,
    ) -> None:
        self.sc = sc
        self.s = state
        self.behaviour = behaviour
        self.names = list(sc.channels)
        # One outcome stream per channel: the n-th call to an account meets the same luck
        # whatever the other channels did (common random numbers across policies).
        self.outcome_u = [KeyedUniforms(streams, f"contact_outcome:{k}", state.n) for k in self.names]
        self.promise_u = KeyedUniforms(streams, "promise", state.n)
        self.refusal_u = KeyedUniforms(streams, "refusal", state.n)
        self.dispute_u = KeyedUniforms(streams, "dispute", state.n)
        self.conduct = conduct
        self.complaints = complaints
        self.offers = offers
        self.objections: Counter[str] = Counter()
        self.specs: list[Channel] = [sc.channels[k] for k in self.names]
        self.intensity = intensity or ContactIntensity(state.n, [ch.kind for ch in self.specs])
        self.tally = {k: ChannelTally() for k in self.names}
        self._tally_of = list(self.tally.values())  # by channel id (no name lookup on the hot path)
        lo, hi = sc.repayment.promise_days
        self.promise_days = (min(lo, hi), max(lo, hi))

    def outcomes(self, cid: int, idx: np.ndarray) -> np.ndarray:
        """Vectorised outcome of a send or attempt for each account in ``idx``."""
        ch = self.specs[cid]
        u = self.outcome_u[cid].draw(idx)
        p_rpc = ch.contact_prob * np.minimum(1.0, ch.rpc_prob * self.s.pop.contactability[idx])
        return np.where(u < p_rpc, RIGHT_PARTY, np.where(u < ch.contact_prob, WRONG_PARTY, NO_ANSWER))

    def book_action(self, cid: int, idx: np.ndarray) -> None:
        """An action that contacts nobody (a placement, a filing): counted and costed on its channel, and the
        cost booked to each account's delinquency bucket."""
        t = self._tally_of[cid]
        t.sent += idx.size
        t.cost += self.specs[cid].cost * idx.size
        self.s.ledger.spend(idx, self.specs[cid].cost)

    def apply(self, cid: int, idx: np.ndarray, outcome: np.ndarray, day: int, frac: float) -> np.ndarray:
        """Book an attempt's cost and counts and its effects; returns the right-party accounts."""
        ch, s = self.specs[cid], self.s
        t = self._tally_of[cid]
        t.sent += idx.size
        t.cost += ch.cost * idx.size
        s.attempts[idx] += 1
        s.charge(idx, ch.cost)
        self.intensity.record(cid, idx, day + frac)
        reached = idx[outcome > NO_ANSWER]
        if ch.counts_as_contact:
            s.contacts[reached] += 1
            t.contacts += reached.size
        rpc = idx[outcome == RIGHT_PARTY]
        t.rpcs += rpc.size
        if ch.kind in CONVERSATIONS:
            s.rpcs[rpc] += 1
            s.last_rpc_day[rpc] = day
        if ch.effect > 0:
            self.behaviour.excite(rpc, ch.effect * s.pop.responsiveness[rpc] * self._wear(cid, rpc), frac)
        if ch.promise_prob > 0:
            t.promises += self._promise(ch, rpc, day)
        self._after(cid, ch, idx, outcome, rpc, day + frac)
        return rpc

    def _wear(self, cid: int, idx: np.ndarray) -> np.ndarray | float:
        """Reminder wear-out: the k-th send of a channel to a borrower has (1 − fatigue)^(k−1) of the effect."""
        fatigue = self.specs[cid].fatigue
        if fatigue <= 0:
            return 1.0
        # The channel's outcome stream counts the sends each account has had (this one included);
        # its counter is unsigned, so it is widened before the subtraction.
        return (1.0 - fatigue) ** (self.outcome_u[cid].count[idx].astype(np.int64) - 1)

    def _after(self, cid: int, ch: Channel, idx: np.ndarray, outcome: np.ndarray, rpc: np.ndarray, t: float) -> None:
        """What every performed action feeds: conduct-rule counters, complaints, refusals, offers."""
        self.conduct.record(cid, idx, outcome, t)
        if ch.kind in COMPLAINT_KINDS:
            self.complaints.contact(ch.kind, idx[outcome > NO_ANSWER], t)
        if ch.kind in CONVERSATIONS and rpc.size:
            self._objections(rpc, t)
        if ch.kind in OFFER_KINDS:
            self.offers.make(ch, rpc, math.floor(t))

    def _objections(self, rpc: np.ndarray, t: float) -> None:
        """In a conversation a borrower may refuse further contact or dispute the debt."""
        pop = self.s.pop
        for probs, u, act in (
            (pop.refusal_prob, self.refusal_u, "refuse"),
            (pop.dispute_prob, self.dispute_u, "dispute"),
        ):
            at_risk = rpc[probs[rpc] > 0]
            if at_risk.size == 0:
                continue
            hit = at_risk[u.draw(at_risk) < probs[at_risk]]
            self.objections[act] += hit.size
            if hit.size == 0:
                continue
            if act == "refuse":
                self.conduct.refuse(hit)
            else:
                self.conduct.dispute(hit, t)

    def _promise(self, ch: Channel, rpc: np.ndarray, day: int) -> int:
        s = self.s
        rpc = rpc[(s.status[rpc] == ACTIVE) & (s.promise_due[rpc] < day)]
        if rpc.size == 0:
            return 0
        u = self.promise_u.draw(rpc)
        p = ch.promise_prob * s.pop.willingness[rpc]
        made = rpc[u < p]
        # One uniform decides promise, kept and date: rescale it within each branch.
        v = u[u < p] / np.maximum(p[u < p], 1e-12)
        keep_p = s.pop.promise_kept[made]
        kept = v < keep_p
        w = np.where(kept, v / np.maximum(keep_p, 1e-12), (v - keep_p) / np.maximum(1 - keep_p, 1e-12))
        lo, hi = self.promise_days
        delay = lo + np.minimum((w * (hi - lo + 1)).astype(np.int32), hi - lo)
        s.promise_due[made] = day + np.maximum(delay, 1)
        s.promise_amount[made] = s.collectible(made)
        s.promise_keep[made] = kept
        s.promises[made] += 1
        return int(made.size)

    def attempt_one(self, cid: int, i: int, day: int, frac: float, forced: int | None = None) -> int:
        """Scalar twin of ``outcomes`` + ``apply`` for one team attempt (the hot path).

        ``forced`` sets the outcome (an inbound call is always the right party).
        """
        ch, s = self.specs[cid], self.s
        if forced is None:
            u = self.outcome_u[cid].draw_one(i)
            p_rpc = ch.contact_prob * min(1.0, ch.rpc_prob * float(s.pop.contactability[i]))
            outcome = RIGHT_PARTY if u < p_rpc else WRONG_PARTY if u < ch.contact_prob else NO_ANSWER
        else:
            outcome = forced
        t = self._tally_of[cid]
        t.sent += 1
        if ch.cost:  # a free attempt (a call's default) books nothing: adding 0.0 changes no total
            t.cost += ch.cost
            s.charge_one(i, ch.cost)
        s.attempts[i] += 1
        now = day + frac
        if self.conduct.active:
            if forced is None:
                self.conduct.record_one(cid, i, outcome, now)
            else:  # a borrower's own call counts as a conversation, not as a collector's attempt
                self.conduct.conv_time[i] = now
        if forced is None:
            self.intensity.record_one(cid, i, now)
        if outcome == NO_ANSWER:
            return outcome
        if ch.counts_as_contact:
            s.contacts[i] += 1
            t.contacts += 1
        if ch.kind in COMPLAINT_KINDS:
            self.complaints.contact_one(ch.kind, i, now)
        if outcome == WRONG_PARTY:
            return outcome
        t.rpcs += 1
        if ch.kind in CONVERSATIONS:
            s.rpcs[i] += 1
            s.last_rpc_day[i] = day
            if s.pop.refusal_prob[i] > 0 or s.pop.dispute_prob[i] > 0:
                self._objections(np.array([i]), now)
        if ch.effect > 0:
            wear = float(self._wear(cid, np.array([i]))[0]) if ch.fatigue > 0 else 1.0
            self.behaviour.excite_one(i, ch.effect * float(s.pop.responsiveness[i]) * wear, frac)
        if ch.promise_prob > 0 and s.status[i] == ACTIVE and s.promise_due[i] < day:
            t.promises += self._promise_one(ch, i, day)
        if ch.kind in OFFER_KINDS:
            self.offers.make(ch, np.array([i]), day)
        return outcome

    def _promise_one(self, ch: Channel, i: int, day: int) -> int:
        s = self.s
        u = self.promise_u.draw_one(i)
        p = ch.promise_prob * float(s.pop.willingness[i])
        if u >= p:
            return 0
        v = u / p
        keep_p = float(s.pop.promise_kept[i])
        kept = v < keep_p
        w = v / keep_p if kept else (v - keep_p) / max(1 - keep_p, 1e-12)
        lo, hi = self.promise_days
        delay = lo + min(int(w * (hi - lo + 1)), hi - lo)
        s.promise_due[i] = day + max(delay, 1)
        s.promise_amount[i] = float(s.collectible(np.array([i]))[0])
        s.promise_keep[i] = kept
        s.promises[i] += 1
        return 1
