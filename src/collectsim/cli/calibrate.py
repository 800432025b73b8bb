"""``collectsim calibrate targets``: fit free scenario fields to aggregate KPI targets."""

from __future__ import annotations

import argparse
import io
import sys
import time

import collectsim as cs
from collectsim.cli.experiments import _executor
from collectsim.cli.preflight import check_default_file, check_results_root
from collectsim.cli.run import _overrides, _report, _set_blame


def _cmd_calibrate(args: argparse.Namespace) -> int:
    return {"targets": _cmd_targets, "histories": _cmd_histories}[args.calibrate_command](args)


def _cmd_histories(args: argparse.Namespace) -> int:
    from collectsim.store import refuse_existing, write_history_fit

    refuse_existing(args.out)
    check_results_root(args.out, "--out")
    check_default_file(args.scenario, "--scenario")
    base = cs.load_scenario(args.scenario)
    started = time.perf_counter()
    fit = cs.fit_histories(
        args.accounts,
        args.events,
        holdout_days=args.holdout_days,
        bootstrap=args.bootstrap,
        seed=args.seed,
        classes=args.classes,
    )
    scenario = fit.to_scenario(base)
    wall = time.perf_counter() - started
    manifest = {
        "version": cs.__version__,
        "command": "calibrate histories",
        "base_scenario": str(args.scenario),
        "seed": args.seed,
        "wall_time_s": round(wall, 3),
    }
    finish = None if args.no_report else _report_or_note()
    folder = write_history_fit(fit, args.out, scenario=scenario, manifest=manifest, finish=finish)
    print(_history_text(fit))
    print(f"\n{fit.accounts:,} accounts fitted in {wall:.1f} s; results: {folder}")
    return 0


def _report_or_note():
    """``build_report`` for the finished folder, or None (with a note) without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("report skipped: figures need matplotlib (pip install 'collectsim[plot]')")
        return None
    from collectsim.report import build_report

    return build_report


def _history_text(fit: cs.HistoryFit) -> str:
    lines = [f"{'segment':<14}{'parameter':<22}{'estimate':>12}{'std error':>12}  error from"]
    for seg, g in fit.segments.items():
        for name, e in g.params.items():
            lines.append(f"{seg:<14}{name:<22}{e.estimate:>12.5g}{e.std_error:>12.3g}  {e.method}")
        lines += [f"  note ({seg}): {n}" for n in g.notes]
    for seg, m in fit.mixtures.items():
        tried = fit.class_bic.get(seg, {})
        chosen = f" (BIC {', '.join(f'{k}: {b:,.0f}' for k, b in tried.items())}: lowest at {m.k})" if tried else ""
        lines.append(f"\n{seg}: mixture of {m.k} latent classes by EM{chosen}, log-likelihood {m.loglik:,.1f}")
        lines.append(f"  {'class':<8}{'weight':>14}{'lambda_inf':>20}{'lambda_0':>20}{'p_full':>18}")
        for j, c in enumerate(m.classes, start=1):
            cells = "".join(
                f"{c[n].estimate:>{w - 9}.4g} ±{c[n].std_error:<7.2g}"
                for n, w in (("weight", 14), ("lambda_inf", 20), ("lambda_0", 20), ("p_full", 18))
            )
            lines.append(f"  {j:<8}{cells}")
    if fit.holdout is not None:
        lines.append(f"\nhold-out back-test, last {fit.holdout_days:g} days: share of the balance at the cut collected")
        for r in fit.holdout.itertuples():
            lines.append(
                f"  {r.segment:<14} observed {r.observed:.2%}  predicted {r.predicted:.2%} "
                f"[{r.predicted_low:.2%}, {r.predicted_high:.2%}]  error {r.error * 100:+.2f} pp"
            )
    lines += [f"note: {n}" for n in fit.notes]
    return "\n".join(lines)


def _cmd_targets(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from collectsim.calibration import calibrate_targets, load_targets
    from collectsim.present import calibration_table
    from collectsim.store import refuse_existing, write_calibration

    refuse_existing(args.out)  # before any simulation: a fit is too dear to lose at the end
    check_results_root(args.out, "--out")
    sc = cs.load_scenario(args.scenario, _overrides(args.overrides), blame=_set_blame(args.overrides))
    spec = load_targets(args.targets, sc)
    quiet = args.quiet or not sys.stderr.isatty()  # a bar only at a terminal
    bar = tqdm(total=args.max_evals, desc=f"calibrate {spec.name}", unit="eval", disable=quiet, file=sys.stderr)

    def progress(done: int, budget: int, best: float) -> None:
        bar.set_postfix_str(f"best objective {best:,.4g}", refresh=False)
        bar.update(done - bar.n)

    started = time.perf_counter()
    try:
        with _executor(args) as executor:
            fit = calibrate_targets(
                sc,
                spec,
                n=args.replications,
                seed=args.seed,
                max_evals=args.max_evals,
                method=args.method,
                executor=executor,
                progress=progress,
            )
    finally:
        bar.close()
    wall = time.perf_counter() - started
    text = calibration_table(fit)
    manifest = {
        "version": cs.__version__,
        "scenario_file": str(args.scenario),
        "targets_file": str(args.targets),
        "overrides": args.overrides,
        "wall_time_s": round(wall, 3),
        "executor": f"dask {args.dask}" if args.dask else f"{executor.workers} worker(s)",
    }
    folder = write_calibration(fit, args.out, text=text, manifest=manifest, figure_png=_figure(fit, args))
    print(text)
    for path in fit.at_bound():
        print(f"note: {path} was fitted at a bound of its range; the targets may want a value outside it")
    print(f"\n{fit.evaluations * fit.n} runs in {wall:.1f} s; results: {folder}")
    _report(folder, args)
    return 0


def _figure(fit: cs.TargetFit, args: argparse.Namespace) -> bytes | None:
    """fit.png as bytes, or None with --no-report or without matplotlib."""
    if args.no_report:
        return None
    try:
        from collectsim.plots import calibration_fit
    except ImportError:
        print("figure skipped: fit.png needs matplotlib (pip install 'collectsim[plot]')")
        return None
    buf = io.BytesIO()
    calibration_fit(fit.table).savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()
