"""A cross-entropy agent learns a contact table in ``collectsim.gym``, then meets the ladder on fresh seeds.

Run from the project root (needs the ``gym`` extra: ``pip install -e ".[gym]"``)::

    python examples/gym_agent.py               # 5,000 accounts, 10 generations × 12 tables × 2 seeds, 20 fresh seeds
    python examples/gym_agent.py --quick       # a smoke run in seconds
    python examples/gym_agent.py --save results/gym_agent   # also write the table as a --policy class

The agent is the cross-entropy method over a fixed table — one option of the menu (none, digital,
call, digital+call, letter) per (segment, DPD bucket) cell, the same every week — scored by the
episode return of ``CollectionsEnv`` (the run's net collections in percent of the opening balance).
Each generation scores every sampled table on the same training seeds (common random numbers) and
moves the sampling probabilities towards the best quarter. The most likely table at the end is the
learned policy; ``collectsim.compare`` then runs it against the scenario's ladder on fresh seeds (a
seed stream training never drew from), paired, with 95% intervals. The portfolio is the baseline
at ``--accounts`` with its teams scaled to the same staff per account.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import collectsim as cs
from collectsim.experiments.runner import replication_seeds
from collectsim.gym import CollectionsEnv

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
TRAIN_STREAM = 7  # the training seeds' stream; compare draws its seeds from stream 0
KPIS = (
    "net_recovery",
    "npv",
    "recovery_rate",
    "total_cost",
    "cost_channel",
    "agency_commission",
    "complaints_per_1000",
)


def make_env(accounts: int, scenario: Path = BASELINE) -> CollectionsEnv:
    """The scenario at ``accounts`` accounts, each team's headcount scaled with it (at least one)."""
    sc = cs.load_scenario(scenario)
    share = accounts / sc.population.accounts
    over: dict[str, object] = {"population.accounts": accounts}
    over |= {f"teams.{k}.headcount": max(1, round(t.headcount * share)) for k, t in sc.teams.items() if t.headcount}
    return CollectionsEnv(sc, overrides=over)


def episode_return(env: CollectionsEnv, table: np.ndarray, seed: int) -> float:
    """The summed rewards of one episode that plays ``table`` every step."""
    env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = env.step(table)
        total += reward
        done = terminated or truncated
    return total


@dataclass(frozen=True)
class Training:
    table: np.ndarray  # the learned table: the most likely option of each cell
    probs: np.ndarray  # cells × options, at the end
    history: list[dict[str, float]]  # per generation: mean and best score, the most likely table's share
    seeds: list[int]
    episodes: int


def cross_entropy(
    env: CollectionsEnv,
    *,
    generations: int = 10,
    population: int = 12,
    seeds_per_table: int = 2,
    elite: float = 0.25,
    smoothing: float = 0.7,
    seed: int = 1,
    log: Callable[[str], None] | None = None,
) -> Training:
    """The cross-entropy method over fixed tables, on training seeds of stream ``TRAIN_STREAM``."""
    rng = np.random.default_rng(seed)
    cells, options = env.n_cells, len(env.option_names)
    probs = np.full((cells, options), 1.0 / options)
    seeds = replication_seeds(seed, generations * seeds_per_table, stream=TRAIN_STREAM)
    n_elite = max(1, round(elite * population))
    history = []
    for g in range(generations):
        gen_seeds = seeds[g * seeds_per_table : (g + 1) * seeds_per_table]
        u = rng.random((population, cells, 1))
        tables = (u > np.cumsum(probs, axis=1)[None]).sum(axis=2).clip(max=options - 1)
        tables[0] = probs.argmax(axis=1)  # the current favourite is always scored again
        scores = np.array([np.mean([episode_return(env, t, s) for s in gen_seeds]) for t in tables])
        best = tables[np.argsort(-scores, kind="stable")[:n_elite]]
        freq = np.stack([np.bincount(best[:, c], minlength=options) for c in range(cells)]) / n_elite
        probs = smoothing * freq + (1 - smoothing) * probs
        history.append(
            {"generation": g, "mean": float(scores.mean()), "best": float(scores.max()), "mode": float(scores[0])}
        )
        if log is not None:
            mean, top = scores.mean(), scores.max()
            log(f"generation {g + 1:2d}: mean {mean:6.2f}  best {top:6.2f}  favourite {scores[0]:6.2f}")
    return Training(probs.argmax(axis=1), probs, history, seeds, generations * population * seeds_per_table)


def confirm(
    env: CollectionsEnv, table: np.ndarray, n: int, *, seed: int, training_seeds: list[int], workers: int = 1
) -> cs.Comparison:
    """The ladder (champion) and the learned table on ``n`` fresh seeds, paired."""
    fresh = replication_seeds(seed, n)
    if set(fresh) & set(training_seeds):  # independent streams: never, but the claim is checked
        raise RuntimeError("a confirmation seed was used in training")
    sc = env.scenario
    executor = None
    if workers > 1:
        from collectsim.experiments.executors import ProcessExecutor

        executor = ProcessExecutor(workers)
    try:
        return cs.compare(
            {"ladder": sc, "learned": sc}, n, seed=seed, policies={"learned": env.policy(table)}, executor=executor
        )
    finally:
        if executor is not None:
            executor.close()


def table_text(env: CollectionsEnv, table: np.ndarray) -> str:
    """The table as a grid: a row per segment, a column per DPD bucket."""
    from collectsim.policy.table import bucket_labels

    grid = np.asarray(table).reshape(len(env.segment_names), len(env.buckets))
    head = ["segment \\ DPD", *bucket_labels(env.buckets)]
    rows = [[seg, *(env.option_names[k] for k in row)] for seg, row in zip(env.segment_names, grid, strict=True)]
    width = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)) for r in [head, *rows])
    return "\n".join(line.rstrip() for line in lines)


def save_policy(folder: Path, table: np.ndarray, env: CollectionsEnv) -> Path:
    """Write the table as a ``--policy`` class: ``collectsim compare … --policy learned=<module>:Learned``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "learned_policy.py"
    path.write_text(
        '"""The contact table examples/gym_agent.py learned (default menu, buckets); legal, agency: the ladder."""\n\n'
        "from collectsim.policy.table import TablePolicy\n\n"
        f"TABLE = {[int(x) for x in table]}  # segments {list(env.segment_names)} × buckets {list(env.buckets)}\n\n\n"
        "class Learned(TablePolicy):\n"
        "    def __init__(self) -> None:\n"
        "        super().__init__(TABLE)\n"
    )
    return path


def _num(x: float, sign: str = "") -> str:
    return f"{x:{sign},.0f}" if abs(x) >= 100 else f"{x:{sign}.4g}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--population", type=int, default=12)
    ap.add_argument("--train-seeds", type=int, default=2, help="seeds per table per generation")
    ap.add_argument("-n", type=int, default=20, help="fresh seeds in the confirmation")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1, help="processes for the confirmation")
    ap.add_argument("--quick", action="store_true", help="1,000 accounts, 2 generations of 4, 3 fresh seeds")
    ap.add_argument("--save", type=Path, help="folder to write learned_policy.py into")
    args = ap.parse_args(argv)
    if args.quick:
        args.accounts, args.generations, args.population, args.train_seeds, args.n = 1000, 2, 4, 1, 3

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    env = make_env(args.accounts)
    t0 = time.perf_counter()
    train = cross_entropy(
        env,
        generations=args.generations,
        population=args.population,
        seeds_per_table=args.train_seeds,
        seed=args.seed,
        log=log,
    )
    t1 = time.perf_counter()
    steps = train.episodes * -(-env.scenario.horizon.days // env.step_days)
    print(
        f"trained on {args.accounts:,} accounts: {train.episodes} episodes ({steps:,} steps) in {t1 - t0:.0f} s, "
        f"{steps / (t1 - t0):.0f} steps/s"
    )
    print(table_text(env, train.table))
    comp = confirm(env, train.table, args.n, seed=args.seed, training_seeds=train.seeds, workers=args.workers)
    t2 = time.perf_counter()
    summary = comp.summary(list(KPIS)).set_index(["kpi", "policy"])
    print(f"\nlearned table vs the ladder on {args.n} fresh seeds (paired, 95% intervals), {t2 - t1:.0f} s:")
    for kpi in KPIS:
        lad, new = summary.loc[(kpi, "ladder")], summary.loc[(kpi, "learned")]
        print(
            f"  {kpi:20s} ladder {_num(lad['mean']):>12}   learned − ladder {_num(new['diff'], '+'):>10} "
            f"± {_num(new['diff_half_width']):<8}  P(better) {new['p_better']:.2f}"
        )
    print(f"total {t2 - t0:.0f} s")
    if args.save is not None:
        path = save_policy(args.save, train.table, env)
        print(f"wrote {path}: collectsim compare … --policy learned={path.stem}:Learned (run from {path.parent})")


if __name__ == "__main__":
    main()
