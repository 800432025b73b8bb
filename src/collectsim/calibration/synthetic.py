"""Exact simulation of the Chehrazi–Weber repayment process, for test data, examples and forecasts.

Payment times are drawn by inverting the compensator: with an Exp(1) threshold E, the next
payment is where ∫λ from the current time reaches E. Between events λ is a sum of decaying
exponentials, so the integral is closed form and increasing; the crossing is found by
bisection to machine precision. The result is a draw from the model itself (no time step),
which is what a parameter-recovery test needs: the engine's daily step, promises, plans and
frailty would make its histories a different model (docs/calibration-histories.md).

Treatments are given (an exogenous schedule, as a collections log shows them); one reaching
an account after it paid in full is dropped. Every draw comes from the ``Generator`` passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

BISECTIONS = 60
CENT = 0.01


@dataclass(frozen=True)
class TrueParams:
    """Parameters of one homogeneous group; ``delta_2`` per channel name."""

    lambda_inf: float
    lambda_0: float
    kappa: float
    delta_10: float
    delta_11: float
    p_full: float
    r_alpha: float
    r_beta: float
    delta_2: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        out = {k: float(getattr(self, k)) for k in ("lambda_0", "lambda_inf", "kappa", "delta_10", "delta_11")}
        out.update({f"delta_2.{c}": float(v) for c, v in self.delta_2.items()})
        out.update(p_full=self.p_full, r_alpha=self.r_alpha, r_beta=self.r_beta)
        return out


def simulate_payments(
    rng: np.random.Generator,
    *,
    params: Mapping[str, np.ndarray],
    start: np.ndarray,
    end: np.ndarray,
    excite: np.ndarray,
    balance: np.ndarray,
    treat_acc: np.ndarray,
    treat_t: np.ndarray,
    treat_jump: np.ndarray,
    cents: bool = True,
) -> pd.DataFrame:
    """Payments of every account on [start, end], from excitation ``excite`` and ``balance`` at ``start``.

    ``params`` holds per-account arrays lambda_inf, lambda_0, kappa, delta_10, delta_11, p_full,
    r_alpha, r_beta (time counts from each account's entry, so λ's baseline is evaluated at the
    absolute time). Treatments (``treat_acc``, ``treat_t``, their jump ``treat_jump``) must be
    sorted by account, then time. With ``cents`` amounts are whole cents (a balance of two cents
    or less is paid in full), as a ledger shows them; without, they are exact shares of the
    balance, so R is exactly Beta. Returns columns account, day, amount, full, r.
    """
    n = start.size
    p = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in params.items()}
    counts = np.bincount(treat_acc, minlength=n)
    ptr = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    stop = ptr + counts
    t = start.astype(float).copy()
    a = excite.astype(float).copy()
    w = balance.astype(float).copy()
    threshold = rng.exponential(size=n)
    alive = (end > start) & (w > 0)
    out: list[tuple[np.ndarray, ...]] = []
    while alive.any():
        i = np.flatnonzero(alive)
        has_treat = ptr[i] < stop[i]
        nt = np.where(has_treat, treat_t[np.minimum(ptr[i], max(treat_t.size - 1, 0))] if treat_t.size else 0, np.inf)
        s = np.minimum(np.maximum(nt, t[i]), end[i])
        k, li, l0 = p["kappa"][i], p["lambda_inf"][i], p["lambda_0"][i]
        span = s - t[i]
        e0 = np.exp(-k * t[i])

        def integral(u: np.ndarray, k=k, li=li, l0=l0, e0=e0, ai=a[i]) -> np.ndarray:
            g = -np.expm1(-k * u) / k
            return li * u + (l0 - li) * e0 * g + ai * g

        total = integral(span)
        pays = threshold[i] <= total
        # No payment before the next boundary: move there, take the treatment or stop at the end.
        q = i[~pays]
        a[q] *= np.exp(-k[~pays] * span[~pays])
        threshold[q] -= total[~pays]
        t[q] = s[~pays]
        treated = q[has_treat[~pays] & (nt[~pays] <= end[q])]
        a[treated] += treat_jump[ptr[treated]]
        ptr[treated] += 1
        alive[q[~np.isin(q, treated)]] = False
        # A payment inside the stretch: find its time by bisection on the closed-form integral.
        r = i[pays]
        if r.size:
            lo, hi = np.zeros(r.size), span[pays].copy()
            sub = {"k": k[pays], "li": li[pays], "l0": l0[pays], "e0": e0[pays], "ai": a[r]}
            for _ in range(BISECTIONS):
                mid = (lo + hi) / 2
                below = integral(mid, **sub) < threshold[r]
                lo = np.where(below, mid, lo)
                hi = np.where(below, hi, mid)
            u = hi
            t[r] += u
            a[r] *= np.exp(-sub["k"] * u)
            full = rng.random(r.size) < p["p_full"][r]
            share = rng.beta(p["r_alpha"][r], p["r_beta"][r])
            if cents:
                full |= w[r] <= 2 * CENT
                amount = np.round(np.where(full, w[r], np.clip(np.round(share * w[r], 2), CENT, w[r] - CENT)), 2)
            else:
                amount = np.where(full, w[r], share * w[r])
            rr = amount / w[r]
            out.append((r, t[r].copy(), amount, full, rr))
            w[r] -= amount
            a[r] += np.where(full, 0.0, p["delta_10"][r] + p["delta_11"][r] * rr)
            threshold[r] = rng.exponential(size=r.size)
            alive[r[full]] = False
    if not out:
        return pd.DataFrame({"account": [], "day": [], "amount": [], "full": [], "r": []})
    cols = [np.concatenate(c) for c in zip(*out, strict=True)]
    return pd.DataFrame({"account": cols[0], "day": cols[1], "amount": cols[2], "full": cols[3], "r": cols[4]})


@dataclass(frozen=True)
class Rung:
    """A rung of the example schedule: ``channel`` from ``start`` every ``every`` days, reaching with ``reach``."""

    channel: str
    start: float
    every: float
    stop: float
    reach: float


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung("sms", 1, 3, 21, 0.9),
    Rung("call", 3, 4, 120, 0.35),
    Rung("letter", 30, 30, 120, 0.95),
)


def simulate_histories(
    groups: Mapping[str, TrueParams],
    *,
    accounts: int,
    seed: int,
    ladder: Sequence[Rung] = DEFAULT_LADDER,
    observed_days: tuple[int, int] = (90, 180),
    balance_mean: float = 1200.0,
    balance_sd: float = 900.0,
    cents: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A synthetic history extract (accounts, events) drawn exactly from the model.

    Accounts are split evenly over ``groups`` (the segment column holds the group name);
    each is watched a whole number of days drawn uniformly from ``observed_days``; balances are
    lognormal. Treatments follow ``ladder`` (each scheduled touch reaches with ``reach``, at a
    random time of its day). Amounts are whole cents unless ``cents`` is false (see
    ``simulate_payments``); days keep 4 decimals with cents, full precision without.
    Everything is drawn from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    names = list(groups)
    seg = np.repeat(np.arange(len(names)), -(-accounts // len(names)))[:accounts]
    n = accounts
    s2 = np.log1p((balance_sd / balance_mean) ** 2)
    opening = np.round(np.maximum(rng.lognormal(np.log(balance_mean) - s2 / 2, np.sqrt(s2), n), 20.0), 2)
    observed = rng.integers(observed_days[0], observed_days[1] + 1, n).astype(float)
    entry_dpd = rng.integers(1, 31, n)
    channels = sorted({r.channel for r in ladder})
    touches = []
    for rung in ladder:
        days = np.arange(rung.start, rung.stop + 1e-9, rung.every) if rung.every > 0 else np.array([rung.start])
        acc = np.repeat(np.arange(n), days.size)
        day = np.tile(days, n) + rng.uniform(0.35, 0.8, acc.size)
        keep = (rng.random(acc.size) < rung.reach) & (day <= observed[acc])
        touches.append(pd.DataFrame({"account": acc[keep], "day": day[keep], "channel": rung.channel}))
    empty = pd.DataFrame({"account": np.empty(0, dtype=np.int64), "day": np.empty(0), "channel": ""})
    treat = pd.concat([empty, *touches], ignore_index=True).sort_values(["account", "day"], kind="stable")
    p = {
        k: np.array([getattr(groups[g], k) for g in names])[seg]
        for k in TrueParams.__dataclass_fields__
        if k != "delta_2"
    }
    d2 = np.array([[groups[g].delta_2.get(c, 0.0) for c in channels] for g in names])
    ch_code = pd.Categorical(treat["channel"], categories=channels).codes
    t_acc = treat["account"].to_numpy()
    jump = d2[seg[t_acc], ch_code]
    pays = simulate_payments(
        rng,
        params=p,
        start=np.zeros(n),
        end=observed,
        excite=np.zeros(n),
        balance=opening,
        treat_acc=t_acc,
        treat_t=treat["day"].to_numpy(),
        treat_jump=jump,
        cents=cents,
    )
    # Treatments after a payment in full never happen: the account has left collections.
    closed = np.full(n, np.inf)
    full = pays[pays["full"]]
    closed[full["account"].to_numpy(dtype=int)] = full["day"].to_numpy()
    treat = treat[treat["day"].to_numpy() <= closed[t_acc]]
    keys = np.array([f"acc{i:06d}" for i in range(n)])
    accounts_df = pd.DataFrame(
        {"account": keys, "opening_balance": opening, "entry_dpd": entry_dpd, "observed_days": observed}
    )
    if len(names) > 1:
        accounts_df["segment"] = np.array(names)[seg]
    digits = 4 if cents else 12
    events = pd.concat(
        [
            pd.DataFrame(
                {
                    "account": keys[treat["account"]],
                    "day": treat["day"].round(digits),
                    "kind": "treatment",
                    "channel": treat["channel"],
                    "amount": np.nan,
                }
            ),
            pd.DataFrame(
                {
                    "account": keys[pays["account"].astype(int)],
                    "day": pays["day"].round(digits),
                    "kind": "payment",
                    "channel": "",
                    "amount": pays["amount"],
                }
            ),
        ],
        ignore_index=True,
    )
    events = events.sort_values(["account", "day"], kind="stable").reset_index(drop=True)
    return accounts_df, events
