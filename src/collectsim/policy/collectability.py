"""A dynamic collectability score (Chehrazi & Weber 2015): the intensity filter the model implies.

What the bank is assumed to know: the scenario's population-level behaviour (each reason's λ∞, λ₀,
heterogeneity, responsiveness, ability and promise-keeping; each segment's reason mix; κ, δ₁₀, δ₁₁,
the macro factor), each channel's nominal effect and wear, and its own logs: when each account
entered, every payment (day, amount, whether it was a kept promise), every treatment that reached
the borrower (time and nominal effect × wear) and every broken promise. It does not know an account's
reason or its heterogeneity multiplier m. Given (reason r, m) the intensity is a deterministic function
of that history,

    λ(t | r, m) = m·[λ∞_r + (λ₀_r − λ∞_r)e^{−κa}] + Σ_pay (δ₁₀ + δ₁₁R)e^{−κ(t−τ)} + resp_r·Σ_treat e·e^{−κ(t−s)},

so the filter keeps, per account, a log-likelihood for each of a few (r, m) hypotheses — the point-process
likelihood Σ log λ(τ) − ∫λ of its self-cure payments, the odds of each payment clearing the arrears
(ability) and of each promise being kept — and mixes them with the segment's prior. Payments are
timed at mid-day (the bank books them by day). The estimated intensity is the posterior mean of λ;
DCS(u, T) is the posterior probability that at least a share u of today's balance is paid within T
days without further treatment, counting payments as Poisson with the current untreated intensity
(future self-excitation is left out, so DCS is a little conservative) and each payment clearing with
probability ability_r, else a partial share drawn from the scenario's partial-payment distribution.
"""

from __future__ import annotations

import math

import numpy as np

from collectsim.scenario.schema import Scenario

MULTIPLIER_NODES = 5  # Gauss–Hermite nodes for the lognormal heterogeneity multiplier
MAX_PAYMENTS = 8  # payments counted within the DCS horizon for u < 1
PARTIAL_SAMPLES = 4000


class Collectability:
    """Per-account posterior over latent (reason, multiplier) hypotheses, updated each evening."""

    def __init__(
        self, sc: Scenario, segment: np.ndarray, entry_day: np.ndarray, *, u: float = 1.0, horizon: float = 30.0
    ):
        rep = sc.repayment
        self.kappa, self.d10, self.d11 = rep.kappa, rep.delta_10, rep.delta_11
        self.decay = math.exp(-self.kappa)
        self.day_integral = (1 - self.decay) / self.kappa
        self.u, self.horizon = u, horizon
        reasons = list(sc.reasons.values())
        macro = math.exp(sc.economy.beta * sc.economy.unemployment_change_pp)
        x, wts = np.polynomial.hermite.hermgauss(MULTIPLIER_NODES)
        rows = []
        for r in reasons:
            s2 = math.log1p(r.heterogeneity**2)
            lam0 = r.lambda_0 if r.lambda_0 is not None else r.lambda_inf
            for xj, wj in zip(x, wts, strict=True):
                m = math.exp(-s2 / 2 + math.sqrt(2 * s2) * xj) * macro
                rows.append(
                    (r.lambda_inf * m, lam0 * m, r.responsiveness, r.ability, r.promise_kept, wj / math.sqrt(math.pi))
                )
        h = np.array(rows)
        self.lam_inf, self.lam_0, self.resp, self.ability, self.kept = (h[:, k] for k in range(5))
        node_w = h[:, 5]
        self.reason_of = np.repeat(np.arange(len(reasons)), MULTIPLIER_NODES)
        names = list(sc.reasons)
        mix = np.array([[seg.reasons.get(k, 0.0) for k in names] for seg in sc.population.segments.values()])
        mix = mix / mix.sum(axis=1, keepdims=True)
        prior = mix[:, self.reason_of] * node_w[None, :]
        self.loglik = np.log(np.maximum(prior[segment], 1e-300))
        self.entry_day = entry_day.astype(float)
        n = segment.size
        self.pay_excite = np.zeros(n)  # Σ (δ₁₀ + δ₁₁R)e^{−κ(t−τ)} at the end of the last observed day
        self.treat_excite = np.zeros(n)  # Σ nominal e·e^{−κ(t−s)}, to be scaled by resp_r
        self.day = -1
        self._cache: dict[str, np.ndarray] = {}
        self._tail = self._partial_tail(sc)

    def _partial_tail(self, sc: Scenario) -> np.ndarray:
        """P(k partial payments leave at most 1 − u of the balance), k = 0..MAX_PAYMENTS (quasi-random, fixed)."""
        if self.u <= 0:
            return np.ones(MAX_PAYMENTS + 1)
        dist = sc.repayment.partial_fraction.build()
        grid = (np.arange(PARTIAL_SAMPLES) + 0.5) / PARTIAL_SAMPLES
        left = np.ones(PARTIAL_SAMPLES)
        out = [float(self.u <= 0)]
        rng = np.random.default_rng(0)  # only to decorrelate the k draws of one grid: the table is fixed
        for _ in range(MAX_PAYMENTS):
            left = left * (1 - np.clip(dist.quantile(rng.permutation(grid)), 0.0, 1.0))
            out.append(float(np.mean(left <= 1 - self.u + 1e-12)))
        return np.array(out)

    # --- what the engine tells it, each evening -------------------------------------------------------------

    def observe(
        self,
        day: int,
        live: np.ndarray,
        treated: np.ndarray,
        treat_end: np.ndarray,
        treat_integral: np.ndarray,
        paid: np.ndarray,
        paid_share: np.ndarray,
        paid_kind: np.ndarray,
        broken: np.ndarray,
    ) -> None:
        """One day's evidence on the ``live`` accounts.

        ``treated``: accounts a treatment reached today, with its nominal jump at day end and its integral
        over the rest of the day; ``paid``: payments with their share of the balance and kind (0 self-cure,
        1 kept promise, 2 other); ``broken``: promises broken today.
        """
        age = day - self.entry_day[live]
        decayed = np.exp(-self.kappa * age)[:, None] * self.day_integral
        base_int = self.lam_inf[None, :] + (self.lam_0 - self.lam_inf)[None, :] * decayed
        treat_today = np.zeros(live.size)
        if live.size:
            pos = np.searchsorted(live, treated)
            ok = (pos < live.size) & (live[np.minimum(pos, live.size - 1)] == treated)
            np.add.at(treat_today, pos[ok], treat_integral[ok])
        treat_int = self.treat_excite[live] * self.day_integral + treat_today
        self.loglik[live] -= base_int + treat_int[:, None] * self.resp[None, :]
        self._payments(day, paid, paid_share, paid_kind)
        if broken.size:
            self.loglik[broken] += np.log(np.maximum(1 - self.kept, 1e-12))[None, :]
        # Roll the excitation to the end of today.
        self.treat_excite[live] *= self.decay
        np.add.at(self.treat_excite, treated, treat_end)
        self.day = day
        self._cache.clear()

    def _base(self, idx: np.ndarray, age: np.ndarray) -> np.ndarray:
        return self.lam_inf[None, :] + (self.lam_0 - self.lam_inf)[None, :] * np.exp(-self.kappa * age)[:, None]

    def _payments(self, day: int, paid: np.ndarray, share: np.ndarray, kind: np.ndarray) -> None:
        self_cure = kind == 0
        idx = paid[self_cure]
        if idx.size:
            half = math.exp(-self.kappa / 2)
            mid = self._base(idx, day + 0.5 - self.entry_day[idx]) + (
                (self.pay_excite[idx] * half)[:, None] + (self.treat_excite[idx] * half)[:, None] * self.resp[None, :]
            )
            full = share[self_cure] >= 1 - 1e-9
            odds = np.where(full[:, None], self.ability[None, :], 1 - self.ability[None, :])
            self.loglik[idx] += np.log(np.maximum(mid, 1e-300)) + np.log(np.maximum(odds, 1e-12))
        kept = paid[kind == 1]
        if kept.size:
            self.loglik[kept] += np.log(np.maximum(self.kept, 1e-12))[None, :]
        jump = np.where(share < 1 - 1e-9, self.d10 + self.d11 * share, 0.0) * math.exp(-self.kappa / 2)
        self.pay_excite *= self.decay
        np.add.at(self.pay_excite, paid, jump)

    # --- what a policy reads, lazily --------------------------------------------------------------------

    def posterior(self) -> np.ndarray:
        if "post" not in self._cache:
            ll = self.loglik - self.loglik.max(axis=1, keepdims=True)
            p = np.exp(ll)
            self._cache["post"] = p / p.sum(axis=1, keepdims=True)
        return self._cache["post"]

    def hypothesis_intensity(self) -> np.ndarray:
        """λ(t | r, m) at the start of the next day, accounts × hypotheses."""
        if "lam" not in self._cache:
            age = self.day + 1 - self.entry_day
            self._cache["lam"] = (
                self._base(np.arange(age.size), age)
                + self.pay_excite[:, None]
                + self.treat_excite[:, None] * self.resp[None, :]
            )
        return self._cache["lam"]

    def intensity(self) -> np.ndarray:
        """The posterior mean of today's repayment intensity (per day)."""
        if "mean" not in self._cache:
            self._cache["mean"] = np.einsum("ij,ij->i", self.posterior(), self.hypothesis_intensity())
        return self._cache["mean"]

    def reason_posterior(self) -> np.ndarray:
        """P(reason | history), accounts × reasons."""
        post = self.posterior()
        k = int(self.reason_of.max()) + 1
        return post.reshape(post.shape[0], k, MULTIPLIER_NODES).sum(axis=2)

    def dcs(self) -> np.ndarray:
        """P(at least a share u of today's balance is collected within T days, untreated | history)."""
        if "dcs" not in self._cache:
            self._cache["dcs"] = np.einsum("ij,ij->i", self.posterior(), self._dcs_given())
        return self._cache["dcs"]

    def _dcs_given(self) -> np.ndarray:
        age = self.day + 1 - self.entry_day
        T, k = self.horizon, self.kappa
        fade = (1 - math.exp(-k * T)) / k
        base = self.lam_inf[None, :] * T + (self.lam_0 - self.lam_inf)[None, :] * (np.exp(-k * age)[:, None] * fade)
        total = base + (self.pay_excite[:, None] + self.treat_excite[:, None] * self.resp[None, :]) * fade
        a = self.ability[None, :]
        if self.u >= 1:
            return 1 - np.exp(-a * total)
        # Poisson(Λ) payments; the j-th clears with probability a, else takes a partial share.
        out = np.zeros_like(total)
        term = np.exp(-total)
        for j in range(MAX_PAYMENTS + 1):
            out += term * (1 - (1 - a) ** j * (1 - self._tail[j]))
            term = term * total / (j + 1)
        return np.clip(out, 0.0, 1.0)


def for_policy(policy: object, sc: Scenario, segment: np.ndarray, entry_day: np.ndarray) -> Collectability | None:
    """The filter a policy asked for (``uses_collectability = True``; ``dcs_share``, ``dcs_days``), else None.

    Only then does the engine pay for the daily update: other policies run at full speed.
    """
    if not getattr(policy, "uses_collectability", False):
        return None
    u = float(getattr(policy, "dcs_share", 1.0))
    days = float(getattr(policy, "dcs_days", 30.0))
    return Collectability(sc, segment, entry_day, u=u, horizon=days)
