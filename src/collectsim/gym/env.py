"""``CollectionsEnv``: one run of a scenario as a Gymnasium episode, a week a step.

Step: the agent's action is a table — one option of the contact menu (by default none, digital,
call, letter) per (segment, DPD bucket) cell — that a ``TablePolicy`` applies on every business
day of the next ``step_days`` days (legal and agency follow the scenario's ladder). The engine
simulates those days through ``SteppedRun``, the same days in the same order as ``simulate``, and
pauses at midnight: the observation is the state at the end of the step's last day.

Observation (float32, every entry in [0, 1]; N accounts, opening balance B₀):

- per cell, segment-major, over the in-house accounts whose DPD tomorrow falls in it: accounts ÷ N,
  balance ÷ B₀, share that paid during the step, share with a promise pending;
- then: days elapsed ÷ horizon, accounts in house ÷ N, collected to date ÷ B₀, cost to date ÷ B₀,
  and per team its queue (items waiting) ÷ N. Shares above 1 (interest, a long queue) are clipped.

Reward: the step's net collections — borrower payments plus debt-sale proceeds less every cost
incurred in the step (channels, teams, legal fees, agency commission, complaints) — in percent of
the opening balance: ``100 × net ÷ B₀``. Summed over an episode it is the run's ``net_recovery``
in percent of its ``opening_balance``; the currency figures are in each step's ``info``.

An episode ends at the scenario's horizon (``truncated``: accounts are still open, and their value
after the horizon is in ``result()``, not in the rewards). ``reset(seed=s)`` simulates with seed
``s``, so an episode with a fixed table reproduces ``simulate(scenario, s, policy=TablePolicy(table))``;
without a seed the next one is drawn from the environment's own generator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from collectsim.engine import SteppedRun
from collectsim.errors import CollectsimError
from collectsim.policy import AccountView
from collectsim.policy.table import (
    DEFAULT_BUCKETS,
    DEFAULT_EVERY,
    DEFAULT_OPTIONS,
    OptionSpec,
    TablePolicy,
    menu_channels,
)
from collectsim.results import RunResult
from collectsim.scenario import Scenario, load_scenario, with_overrides

CELL_FEATURES = ("accounts", "balance", "paid", "promised")
REWARD_PERCENT = 100.0
MAX_SEED = 2**63 - 1


class CollectionsEnv(gym.Env[np.ndarray, np.ndarray]):
    """A scenario's horizon as an episode: a contact table per step, the step's net collections as reward.

    Args:
        scenario: a ``Scenario``, or the path of a scenario file.
        overrides: dotted-path overrides applied to it (e.g. ``{"population.accounts": 5000}``).
        step_days: days simulated per step (default 7: one business week, so every step but the
            last has the same working days).
        buckets: the DPD buckets' lower edges.
        options: the contact menu, name → channels (or first DPD → channels); the action indexes it.
        every_days: days between two sends of one channel to one account (unlisted channels: weekly).
        check_invariants: verify money conservation on every account at the end of every day.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 (gymnasium's documented class attribute)

    def __init__(
        self,
        scenario: Scenario | str | os.PathLike[str],
        *,
        overrides: Mapping[str, Any] | None = None,
        step_days: int = 7,
        buckets: Sequence[int] = DEFAULT_BUCKETS,
        options: Mapping[str, OptionSpec] = DEFAULT_OPTIONS,
        every_days: Mapping[str, int] = DEFAULT_EVERY,
        check_invariants: bool = False,
    ) -> None:
        if isinstance(scenario, Scenario):
            sc = with_overrides(scenario, overrides) if overrides else scenario
        else:
            sc = load_scenario(os.fspath(scenario), overrides=overrides)
        if isinstance(step_days, bool) or not isinstance(step_days, int) or step_days < 1:
            raise CollectsimError(f"step_days: {step_days!r} must be an integer ≥ 1")
        self.scenario = sc
        self.step_days = step_days
        self.check_invariants = check_invariants
        self._policy_args: dict[str, Any] = {"buckets": buckets, "options": options, "every_days": every_days}
        probe = TablePolicy(**self._policy_args)  # checks the menu and the buckets before any run
        menu_channels(probe.options, probe.buckets, sc)
        self.segment_names = tuple(sc.population.segments)
        self.buckets = probe.buckets
        self._edges = np.asarray(probe.buckets)
        self.option_names = probe.option_names
        self.team_names = tuple(sc.teams)
        self.n_cells = len(self.segment_names) * len(self.buckets)
        self.action_space = spaces.MultiDiscrete(np.full(self.n_cells, len(self.option_names), dtype=np.int64))
        size = len(CELL_FEATURES) * self.n_cells + 4 + len(self.team_names)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)
        self.render_mode = None
        self._run: SteppedRun | None = None
        self.sim_seed: int | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode: the simulation seed is ``seed``, or else drawn from the environment's generator."""
        super().reset(seed=seed)
        self.sim_seed = int(seed) if seed is not None else int(self.np_random.integers(MAX_SEED))
        self._policy = TablePolicy(**self._policy_args)
        self._run = SteppedRun(
            self.scenario, self.sim_seed, policy=self._policy, check_invariants=self.check_invariants
        )
        view = self._run.view
        self._n = view.balance.size
        self._opening = float(view.opening_balance.sum())
        self._scale = REWARD_PERCENT / self._opening if self._opening > 0 else 0.0
        self._cash = 0.0  # collected + sale proceeds − cost, to date
        self._totals = {"collected_cum": 0.0, "cost_cum": 0.0, **{f"queue_{t}": 0.0 for t in self.team_names}}
        return self._observe(view, 0), {"day": 0, "seed": self.sim_seed}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply ``action`` (one option index per cell, segment-major) for the next ``step_days`` days."""
        run = self._run
        if run is None:
            raise CollectsimError("step: call reset() first")
        if run.done:
            raise CollectsimError("step: the episode has ended at the horizon; call reset()")
        self._policy.set_table(self._action(action))
        start = run.day
        run.advance(self.step_days)
        row = run.last_day()
        cash = row["collected_cum"] + row["sale_proceeds_cum"] - row["cost_cum"]
        net, self._cash = cash - self._cash, cash
        collected = row["collected_cum"] - self._totals["collected_cum"]
        cost = row["cost_cum"] - self._totals["cost_cum"]
        self._totals = row
        info = {"day": run.day, "seed": self.sim_seed, "net": net, "collected": collected, "cost": cost}
        return self._observe(run.view, start), float(net * self._scale), False, run.done, info

    def result(self) -> RunResult:
        """The finished episode's ``RunResult`` (KPIs, tables, daily series), as ``simulate`` returns it."""
        if self._run is None:
            raise CollectsimError("result: no episode yet; call reset() and step to the horizon")
        return self._run.result()

    def policy(self, action: np.ndarray) -> TablePolicy:
        """A fixed ``action`` as a research policy for ``simulate`` or ``compare`` (same menu and buckets)."""
        return TablePolicy(self._action(action), **self._policy_args)

    def _action(self, action: np.ndarray) -> np.ndarray:
        a = np.asarray(action)
        if a.shape != (self.n_cells,) or a.dtype.kind not in "iu":
            raise CollectsimError(
                f"action: got shape {a.shape} dtype {a.dtype}; expected {self.n_cells} integers, one option per "
                f"(segment, DPD bucket) cell ({len(self.segment_names)} segments × {len(self.buckets)} buckets, "
                "segment-major)"
            )
        if a.size and (a.min() < 0 or a.max() >= len(self.option_names)):
            raise CollectsimError(
                f"action: option indices must be 0 … {len(self.option_names) - 1} "
                f"({', '.join(self.option_names)}); got {a.min()} … {a.max()}"
            )
        return a.astype(np.int64)

    def _observe(self, view: AccountView, step_start: int) -> np.ndarray:
        run = self._run
        n, b0, cells = max(self._n, 1), self._opening or 1.0, self.n_cells
        tomorrow = run.day
        live = np.flatnonzero(view.in_house)
        cell = self._cells(view, live)
        live, cell = live[cell >= 0], cell[cell >= 0]
        count = np.bincount(cell, minlength=cells).astype(float)
        per_cell = np.maximum(count, 1.0)
        paid = np.bincount(cell, weights=(view.last_payment_day[live] >= step_start).astype(float), minlength=cells)
        promised = np.bincount(cell, weights=(view.promise_due_day[live] >= tomorrow).astype(float), minlength=cells)
        features = [
            count / n,
            np.bincount(cell, weights=view.balance[live], minlength=cells) / b0,
            paid / per_cell,
            promised / per_cell,
        ]
        t = self._totals
        tail = [
            run.day / run.horizon,
            view.in_house.sum() / n,
            t["collected_cum"] / b0,
            t["cost_cum"] / b0,
            *(t[f"queue_{team}"] / n for team in self.team_names),
        ]
        obs = np.concatenate([*features, np.asarray(tail, dtype=float)])
        return np.clip(obs, 0.0, 1.0).astype(np.float32)

    def _cells(self, view: AccountView, idx: np.ndarray) -> np.ndarray:
        """Each account's cell tomorrow (the view holds today's DPD), −1 below the first bucket."""
        dpd = view.dpd[idx] + (1 if self._run.day > 0 else 0)
        bucket = np.searchsorted(self._edges, dpd, side="right") - 1
        return np.where(bucket >= 0, view.segment[idx] * len(self.buckets) + bucket, -1)
