"""``fit_histories``: the repayment model fitted to account histories, per segment, and put into a scenario.

How fitted values map onto scenario fields (what the engine does with them, engine/accounts/behaviour.py,
engine/contact/channels.py, engine/accounts/population.py):

* ``lambda_inf``, ``lambda_0`` → one new reason per segment, ``reasons.fitted_<segment>``, and the
  segment's reason mix becomes that reason alone. The engine multiplies λ∞ (not λ₀) by the
  economy factor exp(β·Δunemployment), so ``lambda_inf`` is written divided by it; the fit is
  homogeneous within a segment, so the reason's ``heterogeneity`` (frailty) is 0. Its other
  traits (contactability, willingness, promise keeping …) are the base segment's mix-weighted
  averages, since histories say nothing about them.
* ``delta_2.<ch>`` → the engine's jump on a treatment is ``channels.<ch>.effect`` ×
  ``responsiveness`` of the reason × a fatigue factor. With one segment, effect = δ₂ and
  responsiveness = 1. With several, effect is the account-weighted mean of the segments' δ₂ and
  each fitted reason's responsiveness the least-squares scale s with s·effect ≈ its δ₂ (exact
  when the segments' δ₂ are proportional). Fitted channels get ``fatigue = 0``: the fit has one
  δ₂ per channel, not a wear-out. Channels not in the base scenario stay in fit.json only.
* ``kappa``, ``delta_10``, ``delta_11``, ``partial_fraction`` (Beta r_alpha, r_beta) are one per
  scenario (``[repayment]``): the precision-weighted mean over segments.
* ``p_full`` → the fitted reason's ``ability``: the engine clears the balance with the
  account's ability (Beta-distributed around the reason's value), so its mean is p_full.
* With a latent-class mixture (``classes``), each class becomes a reason of its own and the
  segment's reason mix their weights. When the base segment's mix has as many reasons as there
  are classes, classes and reasons are paired by speed (the fastest class with the reason of the
  highest ``lambda_inf``) and a class reason keeps its reason's other traits and name,
  ``fitted_<segment>_<reason>``; otherwise they are ``fitted_<segment>_class<j>`` with the mix-weighted
  traits. κ, δ₁₀, δ₁₁ and δ₂ then come from the mixture (they are shared by its classes).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from collectsim.calibration.histories import load_histories, prepare
from collectsim.calibration.mixture import MAX_CLASSES, MixtureFit, choose_classes, fit_mixture
from collectsim.calibration.mle import Estimate, GroupFit, fit_group
from collectsim.engine.accounts.population import macro_factor
from collectsim.errors import CollectsimError
from collectsim.scenario import Scenario, scenario_from_dict

BOOTSTRAP = 100
REPAYMENT_FIELDS = ("kappa", "delta_10", "delta_11")
REASON_NUMBERS = (
    "contactability",
    "willingness",
    "promise_kept",
    "refusal_prob",
    "dispute_prob",
    "vulnerable_share",
)


@dataclass(frozen=True)
class HistoryFit:
    """The result of :func:`fit_histories`: per-segment estimates, goodness-of-fit curves, a back-test.

    ``segments`` maps each segment to its ``GroupFit``; ``curves`` holds observed and fitted
    first-payment and liquidation curves (see ``history_checks``); ``holdout`` the back-test
    per segment (None without ``holdout_days``).
    """

    segments: dict[str, GroupFit]
    curves: pd.DataFrame
    holdout: pd.DataFrame | None
    holdout_days: float | None
    accounts: int
    notes: list[str] = field(default_factory=list)
    mixtures: dict[str, MixtureFit] = field(default_factory=dict)  # per segment, with ``classes``
    class_bic: dict[str, dict[int, float]] = field(default_factory=dict)  # BIC per number of classes tried

    def table(self) -> pd.DataFrame:
        """One row per segment and parameter: segment, parameter, estimate, std_error.

        With a mixture its rows follow: ``class<j>.<parameter>`` per class (fastest first) and
        ``mixture.<parameter>`` for the parameters its classes share.
        """
        rows = [
            {"segment": seg, "parameter": name, "estimate": e.estimate, "std_error": e.std_error}
            for seg, g in self.segments.items()
            for name, e in g.params.items()
        ]
        for seg, m in self.mixtures.items():
            named = [(f"class{j + 1}.{n}", e) for j, c in enumerate(m.classes) for n, e in c.items()]
            named += [(f"mixture.{n}", e) for n, e in m.shared.items()]
            rows += [
                {"segment": seg, "parameter": n, "estimate": e.estimate, "std_error": e.std_error} for n, e in named
            ]
        return pd.DataFrame(rows, columns=["segment", "parameter", "estimate", "std_error"])

    def to_dict(self) -> dict[str, Any]:
        """What ``fit.json`` holds: {"segments": {seg: {param: {estimate, std_error, …}}}, …}."""
        return {
            "segments": {seg: {name: _entry(e) for name, e in g.params.items()} for seg, g in self.segments.items()},
            "counts": {
                seg: {
                    "accounts": g.accounts,
                    "payments": g.payments,
                    "partial_payments": g.partial_payments,
                    "treatments": g.treatments,
                    "loglik": _json_safe(g.loglik),
                    "converged": g.converged,
                }
                for seg, g in self.segments.items()
            },
            "notes": {seg: g.notes for seg, g in self.segments.items() if g.notes}
            | ({"all_segments": self.notes} if self.notes else {}),
            "holdout_days": self.holdout_days,
            "holdout": None if self.holdout is None else _json_safe(self.holdout.to_dict(orient="records")),
            "covariance": {seg: _covariance_entry(g) for seg, g in self.segments.items()},
            "classes": {
                seg: {
                    "k": m.k,
                    "loglik": _json_safe(m.loglik),
                    "bic": _json_safe(m.bic),
                    "bic_by_classes": {str(k): _json_safe(b) for k, b in self.class_bic.get(seg, {}).items()},
                    "iterations": m.iterations,
                    "converged": m.converged,
                    "classes": [{n: _entry(e) for n, e in c.items()} for c in m.classes],
                    "shared": {n: _entry(e) for n, e in m.shared.items()},
                }
                for seg, m in self.mixtures.items()
            },
        }

    def with_estimates(self, values: dict[str, dict[str, float]]) -> HistoryFit:
        """This fit with some estimates replaced (a parameter draw); errors and counts are kept.

        Keeping the errors keeps the precision weights that pool κ, δ₁₀, δ₁₁ over segments, so
        a draw moves the pooled values and nothing else.
        """
        segments = {
            seg: replace(
                g,
                params={
                    k: replace(e, estimate=float(values.get(seg, {}).get(k, e.estimate))) for k, e in g.params.items()
                },
            )
            for seg, g in self.segments.items()
        }
        return replace(self, segments=segments)

    def to_scenario(self, base: Scenario) -> Scenario:
        """``base`` with the fitted values in its fields (mapping in this module's docstring)."""
        return scenario_from_dict(self._scenario_dict(base), source=f"{base.name} (fitted)")

    def _scenario_dict(self, base: Scenario) -> dict[str, Any]:
        raw = base.model_dump(mode="json", exclude_none=True)
        segs = raw["population"]["segments"]
        fits = {s: self._shared_from_mixture(s, g) for s, g in self.segments.items()}
        weights = {s: g.accounts for s, g in fits.items()}
        names = list(fits)
        if list(segs) != names and not (len(names) == 1 and len(segs) >= 1):
            missing = [s for s in names if s not in segs]
            if missing:
                raise CollectsimError(
                    f"scenario: population.segments has no segment '{missing[0]}' for the fitted segment of that "
                    f"name; allowed: a base scenario with segments {', '.join(names)}, or an extract without a "
                    "segment column"
                )
        # One fitted segment ("all" or the only one) stands for every base segment.
        targets = {s: names[0] for s in segs} if len(names) == 1 else {s: s for s in names}
        total = sum(weights.values())
        repayment = raw.setdefault("repayment", {})
        for key in REPAYMENT_FIELDS:
            value = _pooled([fits[s].params.get(key) for s in names])
            if value is not None:
                repayment[key] = _clean(value)
        a = _pooled([fits[s].params.get("r_alpha") for s in names])
        b = _pooled([fits[s].params.get("r_beta") for s in names])
        if a is not None and b is not None:
            repayment["partial_fraction"] = {"dist": "beta", "a": _clean(a), "b": _clean(b)}
        channels = sorted({c for g in fits.values() for c in g.channels if c in raw["channels"]})
        effect = {c: sum(weights[s] * _d2(fits[s], c) for s in names) / total for c in channels}
        for c in channels:
            raw["channels"][c]["effect"] = _clean(min(effect[c], 10.0))
            raw["channels"][c]["fatigue"] = 0.0
        macro = macro_factor(base)
        written: set[str] = set()
        for seg_name, fit_name in targets.items():
            g = fits[fit_name]
            mix = segs[seg_name]["reasons"]
            mix_total = sum(mix.values()) or 1.0
            reason_name = f"fitted_{fit_name}"
            reason: dict[str, Any] = {
                k: _clean(sum(w * raw["reasons"][r].get(k, 0.0) for r, w in mix.items()) / mix_total)
                for k in REASON_NUMBERS
            }
            reason["hardship"] = bool(
                sum(w for r, w in mix.items() if raw["reasons"][r].get("hardship", False)) >= mix_total / 2
            )
            lam_inf = g.params["lambda_inf"].estimate / macro
            reason["lambda_inf"] = _clean(lam_inf)
            reason["lambda_0"] = _clean(g.params["lambda_0"].estimate)
            reason["heterogeneity"] = 0.0
            if "p_full" in g.params:
                reason["ability"] = _clean(g.params["p_full"].estimate)
            own = np.array([_d2(g, c) for c in channels])
            eff = np.array([effect[c] for c in channels])
            reason["responsiveness"] = _clean(float(own @ eff / (eff @ eff))) if channels and eff @ eff > 0 else 1.0
            # First base segment wins when one fit stands for several; a base that was calibrated
            # before (it has this reason already) gets it replaced, not kept with stale values.
            if fit_name in self.mixtures and self.mixtures[fit_name].k > 1:
                if reason_name not in written:
                    classes = _class_reasons(self.mixtures[fit_name], fit_name, reason, mix, raw["reasons"], macro)
                    raw["reasons"].update(classes)
                    written.add(reason_name)
                    weights = [c["weight"] for c in classes.values()]
                    weights[-1] = 1.0 - sum(weights[:-1])  # shares must sum to 1 exactly
                    class_mix = dict(zip(classes, weights, strict=True))
                segs[seg_name]["reasons"] = class_mix
                continue
            if reason_name not in written:
                raw["reasons"][reason_name] = reason
                written.add(reason_name)
            segs[seg_name]["reasons"] = {reason_name: 1.0}
        used = {r for s in segs.values() for r in s["reasons"]}
        raw["reasons"] = {k: _without_weight(v) for k, v in raw["reasons"].items() if k in used}
        raw["name"] = f"{base.name}_fitted"
        raw["description"] = (
            f"{base.description} — repayment behaviour fitted to {self.accounts:,} account histories "
            "(collectsim calibrate histories)"
        ).strip(" —")
        return raw


    def _shared_from_mixture(self, seg: str, g: GroupFit) -> GroupFit:
        """With a mixture, the parameters its classes share (κ, δ) replace the one-class fit's."""
        m = self.mixtures.get(seg)
        if m is None or m.k == 1:
            return g
        return replace(g, params={**g.params, **{k: e for k, e in m.shared.items() if k in g.params}})


def _class_reasons(
    m: MixtureFit, segment: str, template: dict[str, Any], mix: dict[str, float], reasons: dict, macro: float
) -> dict[str, dict[str, Any]]:
    """One reason per class, fastest first, paired with the base reasons by speed when their numbers agree.

    Each carries a temporary ``weight`` (its class weight), removed before the scenario is built.
    """
    base = sorted(mix, key=lambda r: -float(reasons[r].get("lambda_inf", 0.0)))
    paired = len(base) == m.k
    out = {}
    for j, c in enumerate(m.classes):
        if paired:
            name = f"fitted_{segment}_{base[j]}"
            traits = {k: v for k, v in reasons[base[j]].items() if k in (*REASON_NUMBERS, "hardship")}
        else:
            name = f"fitted_{segment}_class{j + 1}"
            traits = {k: template[k] for k in (*REASON_NUMBERS, "hardship")}
        out[name] = {
            **traits,
            "lambda_inf": _clean(c["lambda_inf"].estimate / macro),
            "lambda_0": _clean(c["lambda_0"].estimate),
            "heterogeneity": 0.0,
            "ability": _clean(min(max(c["p_full"].estimate, 0.0), 1.0)),
            "responsiveness": template.get("responsiveness", 1.0),
            "weight": c["weight"].estimate,
        }
    return out


def _without_weight(reason: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in reason.items() if k != "weight"}


def _json_safe(value: Any) -> Any:
    """NaN and infinities as null (fit.json is strict JSON); numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(float(value)) else None
    return value


def _d2(g: GroupFit, channel: str) -> float:
    e = g.params.get(f"delta_2.{channel}")
    return 0.0 if e is None else e.estimate


def _pooled(estimates: list[Estimate | None]) -> float | None:
    """Precision-weighted mean (plain mean where an error is missing or zero)."""
    got = [e for e in estimates if e is not None and math.isfinite(e.estimate)]
    if not got:
        return None
    w = [1 / e.std_error**2 if math.isfinite(e.std_error) and e.std_error > 0 else None for e in got]
    if any(x is None for x in w):
        return float(np.mean([e.estimate for e in got]))
    return float(sum(x * e.estimate for x, e in zip(w, got, strict=True)) / sum(w))


def _clean(x: float) -> float:
    """10 significant digits: clean scenario files."""
    return float(f"{max(float(x), 0.0):.10g}")


def _covariance_entry(g: GroupFit) -> dict[str, Any] | None:
    """The segment's joint covariance for fit.json (None when an error is not finite)."""
    names, cov = g.covariance()
    if not np.all(np.isfinite(cov)):
        return None
    return {"parameters": names, "matrix": cov.tolist()}


def _entry(e: Estimate) -> dict[str, Any]:
    se = e.std_error if math.isfinite(e.std_error) else None
    return {"estimate": e.estimate, "std_error": se, "se_method": e.method, "at_bound": e.at_bound}


def fit_histories(
    accounts: pd.DataFrame | str | os.PathLike[str],
    events: pd.DataFrame | str | os.PathLike[str],
    *,
    holdout_days: float | None = None,
    bootstrap: int = BOOTSTRAP,
    seed: int = 1,
    holdout_draws: int = 200,
    classes: int | str | None = None,
    max_classes: int = 4,
) -> HistoryFit:
    """Fit the Chehrazi–Weber repayment model to account histories by maximum likelihood.

    ``accounts`` and ``events`` are data frames (as read, keys in an ``account`` column) or file
    paths (CSV or Parquet); the columns are described in docs/calibration-histories.md. Each
    segment (or ``"all"``) gets estimates and standard errors of lambda_0, lambda_inf, kappa,
    delta_10, delta_11, delta_2.<channel> for every treatment channel seen, p_full, r_alpha and
    r_beta. ``bootstrap`` resamples are used only where the Hessian errors are unreliable (a
    parameter at its bound 0). With ``holdout_days`` = D the fit sees only events before
    ``observed_days − D`` and predicts the share of balance collected in the last D days
    (``holdout_draws`` simulations drawing parameters from their sampling distribution); every
    draw derives from ``seed``. With ``classes`` = K (1–6) each segment is also fitted as a
    mixture of K latent classes by EM (``calibration/mixture.py``), or with ``classes="bic"`` the
    K in 1…``max_classes`` with the lowest BIC; the written scenario then has one reason per class.
    """
    from collectsim.calibration.history_checks import backtest, curves

    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        raise CollectsimError(f"bootstrap: {bootstrap!r} is not allowed; use an integer ≥ 0")
    _check_classes(classes, max_classes)
    full = load_histories(accounts, events)
    h = full
    notes: list[str] = []
    if holdout_days is not None:
        if not (isinstance(holdout_days, int | float) and math.isfinite(holdout_days) and holdout_days > 0):
            raise CollectsimError(f"--holdout-days: {holdout_days!r} is not allowed; allowed: a number of days > 0")
        h = full.truncated(float(holdout_days))
        if h.accounts == 0:
            raise CollectsimError(
                f"--holdout-days: {holdout_days:g} leaves no account to fit (every account is watched for at most "
                f"{full.observed.max():g} days); allowed: fewer days than the longest observation"
            )
        if h.accounts < full.accounts:
            notes.append(f"{full.accounts - h.accounts} accounts watched ≤ {holdout_days:g} days left out of the fit")
    fits: dict[str, GroupFit] = {}
    preps = {}
    for code, name in enumerate(h.segments):
        rows = np.flatnonzero(h.segment == code)
        if rows.size == 0:
            continue
        prep = prepare(h, rows)
        if prep.r.size == 0:
            notes.append(f"segment '{name}' has no payments: nothing to fit, left out")
            continue
        preps[name] = prep
        fits[name] = fit_group(prep, bootstrap=bootstrap, seed=seed + code)
        if prep.dropped_events:
            fits[name].notes.append(f"{prep.dropped_events} events after a payment in full ignored")
    if not fits:
        raise CollectsimError("events: no payments at all; allowed: an extract with at least one payment")
    mixtures, bics = {}, {}
    for code, (name, prep) in enumerate(preps.items()):
        if classes == "bic":
            mixtures[name], bics[name] = choose_classes(prep, max_classes=max_classes, seed=seed + code)
        elif classes is not None:
            mixtures[name] = fit_mixture(prep, int(classes), seed=seed + code)
    table = curves(fits, preps)
    hold = backtest(full, fits, float(holdout_days), draws=holdout_draws, seed=seed) if holdout_days else None
    return HistoryFit(fits, table, hold, holdout_days, h.accounts, notes, mixtures, bics)


def _check_classes(classes: int | str | None, max_classes: int) -> None:
    allowed = f"allowed: an integer 1–{MAX_CLASSES} or 'bic'"
    if classes is None or classes == "bic":
        ok_max = isinstance(max_classes, int) and not isinstance(max_classes, bool) and 1 <= max_classes <= MAX_CLASSES
        if not ok_max:
            raise CollectsimError(f"max_classes: {max_classes!r} is not allowed; allowed: an integer 1–{MAX_CLASSES}")
        return
    if isinstance(classes, bool) or not isinstance(classes, int) or not 1 <= classes <= MAX_CLASSES:
        raise CollectsimError(f"--classes: {classes!r} is not allowed; {allowed}")
