"""How well the fitted model describes the histories: goodness-of-fit curves and a hold-out back-test.

**Curves.** The fitted curves are the model's *compensator* along the observed histories: on
each stretch of each account, ∫λ given that account's own past (its treatments and payments
so far). Observed and fitted curves then share one risk set, and under the model their
increments have equal expectation — the standard check of a self-exciting model, with no
simulation and no guess about treatments after an account left. The first-payment curve is
1 − exp(−H) with H the cumulative first-payment hazard (payments, resp. ∫λ, over account-days
not yet paid); the liquidation curve is the cumulative collected amount (resp. ∫λ × balance ×
expected share per payment) over the opening balance of the accounts still watched.

**Back-test.** With a hold-out of D days the fit saw only events before ``observed_days − D``.
Each account open at that cut is simulated over its last D days (``synthetic.simulate_payments``)
from its balance and excitation at the cut, with the treatments it actually received, on
parameters drawn from their sampling distribution (so the interval carries both the
randomness of payments and the uncertainty of the estimates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collectsim.calibration.histories import Histories, Prepared, prepare
from collectsim.calibration.likelihood import compensator, make_stream
from collectsim.calibration.mle import GroupFit
from collectsim.calibration.synthetic import simulate_payments

CURVE_POINTS = 90


def expected_share(g: GroupFit) -> float:
    """E[R] per payment: p_full + (1 − p_full)·α/(α + β)."""
    p = g.params
    full = p["p_full"].estimate if "p_full" in p else 0.0
    partial = p["r_alpha"].estimate / (p["r_alpha"].estimate + p["r_beta"].estimate) if "r_alpha" in p else 0.0
    return full + (1 - full) * partial


def curves(fits: dict[str, GroupFit], preps: dict[str, Prepared]) -> pd.DataFrame:
    """Observed and fitted first-payment and liquidation curves per segment (one row per grid day)."""
    frames = [_curve(name, fits[name], preps[name]) for name in fits]
    return pd.concat(frames, ignore_index=True)


def _curve(name: str, g: GroupFit, prep: Prepared) -> pd.DataFrame:
    st = prep.stream
    horizon = float(np.max(prep.watched))
    width = max(1.0, float(np.ceil(horizon / CURVE_POINTS)))
    bins = int(np.ceil(horizon / width))
    # Grid points as extra events with no jump: every stretch between events then lies in one bin.
    k = np.floor(np.maximum(st.end - 1e-12, 0) / width).astype(np.int64)
    g_acc = np.repeat(np.arange(st.accounts), k)
    g_t = (np.arange(int(k.sum())) - np.repeat(np.r_[0, np.cumsum(k)[:-1]], k) + 1) * width
    acc = np.r_[st.acc, g_acc]
    t = np.r_[st.t, g_t]
    is_pay = np.r_[st.is_pay, np.zeros(g_acc.size, dtype=bool)]
    x = np.vstack([st.x, np.zeros((g_acc.size, st.x.shape[1]))])
    balance = np.r_[prep.balance_after, np.full(g_acc.size, np.nan)]
    order = np.lexsort((np.r_[np.zeros(st.t.size), np.ones(g_acc.size)], t, acc))
    acc, t, is_pay, x, balance = acc[order], t[order], is_pay[order], x[order], balance[order]
    aug = make_stream(acc, t, x, is_pay, st.end)
    per_event, before = compensator(g.theta(), aug)
    bal = pd.Series(balance).groupby(acc).ffill().to_numpy()
    bal = np.where(np.isnan(bal), prep.opening[acc], bal)
    paid = pd.Series(is_pay.astype(int)).groupby(acc).cumsum().to_numpy()
    last = np.r_[acc[1:] != acc[:-1], True] if acc.size else np.empty(0, dtype=bool)
    length = np.where(last, st.end[acc], np.r_[t[1:], 0.0]) - t
    b_ev = np.minimum((t / width).astype(np.int64), bins - 1)
    first_t = st.end.copy()
    starts = np.flatnonzero(np.r_[True, acc[1:] != acc[:-1]]) if acc.size else np.empty(0, dtype=np.int64)
    first_t[acc[starts]] = t[starts]
    unpaid = paid == 0
    exposure = np.bincount(b_ev[unpaid], length[unpaid], bins) + np.bincount(
        np.zeros(st.accounts, dtype=np.int64), first_t, bins
    )
    hazard_fit = np.bincount(b_ev[unpaid], per_event[unpaid], bins) + np.bincount(
        np.zeros(st.accounts, dtype=np.int64), before, bins
    )
    first_pay = np.flatnonzero(is_pay & (paid == 1) & np.r_[True, (paid[1:] != paid[:-1]) | (acc[1:] != acc[:-1])])
    n_first = np.bincount(b_ev[first_pay], minlength=bins).astype(float)
    # Liquidation: amounts collected against the opening balance of the accounts watched in each bin.
    pay_idx = np.flatnonzero(st.is_pay)
    pay_bin = np.minimum((st.t[pay_idx] / width).astype(np.int64), bins - 1)
    flow_obs = np.bincount(pay_bin, prep.amount[pay_idx], bins)
    m = expected_share(g)
    flow_fit = np.bincount(b_ev, per_event * bal * m, bins) + np.bincount(
        np.zeros(st.accounts, dtype=np.int64), before * prep.opening * m, bins
    )
    edges = np.arange(bins) * width
    cover = np.clip((prep.watched[:, None] - edges[None, :]) / width, 0.0, 1.0)
    denom = prep.opening @ cover
    with np.errstate(invalid="ignore", divide="ignore"):
        h_obs = np.where(exposure > 0, n_first / exposure, 0.0) * width
        h_fit = np.where(exposure > 0, hazard_fit / exposure, 0.0) * width
        liq_obs = np.cumsum(np.where(denom > 0, flow_obs / denom, 0.0))
        liq_fit = np.cumsum(np.where(denom > 0, flow_fit / denom, 0.0))
    return pd.DataFrame(
        {
            "segment": name,
            "day": np.minimum(edges + width, horizon),
            "first_payment_observed": 1 - np.exp(-np.cumsum(h_obs)),
            "first_payment_fitted": 1 - np.exp(-np.cumsum(h_fit)),
            "liquidation_observed": liq_obs,
            "liquidation_fitted": liq_fit,
            "exposure_days": exposure,
        }
    )


def backtest(full: Histories, fits: dict[str, GroupFit], days: float, *, draws: int, seed: int) -> pd.DataFrame:
    """Predicted vs observed share of the balance at the cut collected in the last ``days`` days, per segment."""
    rows = []
    for code, name in enumerate(full.segments):
        if name not in fits:
            continue
        g = fits[name]
        accounts = np.flatnonzero((full.segment == code) & (full.observed > days))
        prep = prepare(full.truncated(days), _positions(full, days, accounts))
        st = prep.stream
        cut = full.observed[accounts] - days
        open_ = st.end >= cut - 1e-12
        open_ &= ~_paid_in_full(prep)
        w_cut = np.where(open_, _balance_at_end(prep), 0.0)
        # What happened in the window, from the full extract.
        pos = np.full(full.accounts, -1)
        pos[accounts] = np.arange(accounts.size)
        ev = (pos[full.ev_acc] >= 0) & (full.ev_day >= cut[np.maximum(pos[full.ev_acc], 0)])
        window_pay = ev & full.ev_pay
        collected = float(full.ev_amount[window_pay].sum())
        base = float(w_cut.sum())
        treat = ev & ~full.ev_pay & open_[np.maximum(pos[full.ev_acc], 0)]
        col = {c: j for j, c in enumerate(g.channels)}
        t_ch = np.array([col.get(full.channels[c], -1) for c in full.ev_channel[treat]], dtype=np.int64)
        t_acc, t_t = pos[full.ev_acc[treat]], full.ev_day[treat]
        rng = np.random.default_rng(np.random.SeedSequence([seed, code, 0xBAC7]))
        shares = []
        theta, cov = g.theta(), np.nan_to_num(g.cov)
        for _ in range(draws):
            th = np.maximum(rng.multivariate_normal(theta, cov, method="eigh"), 0.0) if cov.any() else theta
            th[2] = max(th[2], 1e-6)
            kappa, gamma = th[2], th[3:]
            eta = st.x @ gamma
            excite = np.bincount(st.acc, eta * np.exp(-kappa * (cut[st.acc] - st.t)), st.accounts)
            sizes = {k: _draw(rng, g, k) for k in ("p_full", "r_alpha", "r_beta")}
            d2 = np.r_[gamma[2:], 0.0]
            pays = simulate_payments(
                rng,
                params={
                    "lambda_inf": th[0],
                    "lambda_0": th[1],
                    "kappa": kappa,
                    "delta_10": gamma[0],
                    "delta_11": gamma[1],
                    **sizes,
                },
                start=cut,
                end=full.observed[accounts],
                excite=excite,
                balance=w_cut,
                treat_acc=t_acc,
                treat_t=t_t,
                treat_jump=d2[t_ch],
            )
            shares.append(float(pays["amount"].sum()) / base if base > 0 else np.nan)
        pred = np.asarray(shares)
        obs = collected / base if base > 0 else np.nan
        lo, hi = np.nanpercentile(pred, [2.5, 97.5]) if np.isfinite(pred).any() else (np.nan, np.nan)
        rows.append(
            {
                "segment": name,
                "accounts_open_at_cut": int(open_.sum()),
                "balance_at_cut": base,
                "observed": obs,
                "predicted": float(np.nanmean(pred)),
                "predicted_low": float(lo),
                "predicted_high": float(hi),
                "error": float(np.nanmean(pred)) - obs,
                "within_interval": bool(lo <= obs <= hi),
            }
        )
    return pd.DataFrame(rows)


def _draw(rng: np.random.Generator, g: GroupFit, key: str) -> float:
    e = g.params.get(key)
    if e is None:
        return {"p_full": 1.0, "r_alpha": 1.0, "r_beta": 1.0}[key]
    v = rng.normal(e.estimate, e.std_error) if np.isfinite(e.std_error) and e.std_error > 0 else e.estimate
    return float(np.clip(v, 0.0, 1.0)) if key == "p_full" else float(max(v, 1e-3))


def _positions(full: Histories, days: float, accounts: np.ndarray) -> np.ndarray:
    """Positions in ``full.truncated(days)`` of ``accounts`` (positions in ``full``)."""
    keep = full.observed > days
    return (np.cumsum(keep) - 1)[accounts]


def _paid_in_full(prep: Prepared) -> np.ndarray:
    out = np.zeros(prep.stream.accounts, dtype=bool)
    st = prep.stream
    pay_acc = st.acc[st.is_pay]
    out[pay_acc[prep.full]] = True
    return out


def _balance_at_end(prep: Prepared) -> np.ndarray:
    bal = prep.opening.copy()
    st = prep.stream
    idx = np.flatnonzero(st.is_pay)
    # Later payments overwrite earlier ones: the last balance after a payment is the balance at the cut.
    bal[st.acc[idx]] = prep.balance_after[idx]
    return bal
