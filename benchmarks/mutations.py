"""Mutation guard: break one engine mechanism at a time in a scratch copy and show the tests notice.

Run from the project root::

    python benchmarks/mutations.py              # every mutation
    python benchmarks/mutations.py --only calls_never_connect,charge_off_never

Each mutation is a literal source edit (the text must exist, so a refactor that moves
the code makes this script fail loudly instead of passing silently). The project is
copied to a temporary folder, the edit applied, and the default ``pytest`` run started
on the copy with ``-x`` (stop at the first failure). A mutation is *killed* when the
run fails; a *survivor* is a mechanism the tests do not guard. Prints one line per
mutation and exits 1 if any survived.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = "src/collectsim/engine"

# name -> [(file, text, replacement), ...]
MUTATIONS: dict[str, list[tuple[str, str, str]]] = {
    "treatment_effects_off": [
        (f"{ENGINE}/contact/channels.py", "self.behaviour.excite(rpc, ch.effect *", "self.behaviour.excite(rpc, 0.0 *"),
        (
            f"{ENGINE}/contact/channels.py",
            "self.behaviour.excite_one(i, ch.effect *",
            "self.behaviour.excite_one(i, 0.0 *",
        ),
    ],
    "agency_commission_zero": [
        (
            f"{ENGINE}/operations/agency.py",
            "self.s.charge(idx, amounts * self.rates[tier])",
            "self.s.charge(idx, 0.0 * amounts)",
        ),
        (f"{ENGINE}/operations/agency.py", "row[2] += collected * self.rates[t]", "row[2] += 0.0"),
        (f"{ENGINE}/operations/agency.py", "fee += collected * self.rates[t]", "fee += 0.0"),
    ],
    "kept_promises_pay_nothing": [
        (
            f"{ENGINE}/accounts/behaviour.py",
            "amount = np.minimum(s.promise_amount[kept], owed)",
            "amount = np.zeros(kept.size)",
        ),
    ],
    "calls_never_connect": [
        (
            f"{ENGINE}/contact/channels.py",
            "outcome = RIGHT_PARTY if u < p_rpc else WRONG_PARTY if u < ch.contact_prob else NO_ANSWER",
            "outcome = NO_ANSWER",
        ),
    ],
    "judgements_never_won": [
        (
            f"{ENGINE}/operations/legal.py",
            "won = not contested or draws[3] < self.spec.contested_win_prob",
            "won = False",
        ),
    ],
    "charge_off_never": [
        (f"{ENGINE}/daily/loop.py", "s.charge_off(due, day)", "s.charge_off(due[:0], day)"),
    ],
    "instalments_never_paid": [
        (f"{ENGINE}/accounts/offers.py", "paying = due[kept]", "paying = due[:0]"),
    ],
    "conduct_cap_ignored": [
        (
            f"{ENGINE}/contact/conduct.py",
            "return now - self.times.oldest(idx) < self.rule.window_days",
            "return np.zeros(idx.size, dtype=bool)",
        ),
        (
            f"{ENGINE}/contact/conduct.py",
            "return lambda i, now: now - ring.item(i, ptr.item(i)) < window",
            "return lambda i, now: False",
        ),
    ],
    "voided_counted_as_done": [
        (
            f"{ENGINE}/operations/teams.py",
            "                    if queue is not None:\n                        queue.void()",
            "                    if queue is not None:\n                        queue.done()",
        ),
    ],
}


def _apply(copy: Path, edits: list[tuple[str, str, str]]) -> None:
    for rel, old, new in edits:
        path = copy / rel
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise SystemExit(f"mutation text not found in {rel}: {old[:60]!r} — update benchmarks/mutations.py")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run_tests(copy: Path) -> tuple[bool, str]:
    env_src = str(copy / "src")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_src, "PATH": "/usr/bin:/bin", "HOME": str(copy)},
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
    return proc.returncode != 0, lines[0] if lines else proc.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated mutation names")
    args = ap.parse_args(argv)
    names = list(MUTATIONS) if not args.only else args.only.split(",")
    unknown = [n for n in names if n not in MUTATIONS]
    if unknown:
        print(f"unknown mutation(s): {', '.join(unknown)}; known: {', '.join(MUTATIONS)}", file=sys.stderr)
        return 2
    survivors = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix="collectsim-mut-") as tmp:
            copy = Path(tmp) / "p"
            shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "results", "__pycache__"))
            _apply(copy, MUTATIONS[name])
            t0 = time.perf_counter()
            killed, detail = _run_tests(copy)
        verdict = "killed" if killed else "SURVIVED"
        print(f"{name:<28}{verdict:<10}{time.perf_counter() - t0:7.0f} s  {detail}", flush=True)
        if not killed:
            survivors.append(name)
    print(f"{len(names) - len(survivors)}/{len(names)} mutations killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
