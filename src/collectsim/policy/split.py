"""Champion/challenger inside one run: a random share of accounts follows the challenger.

Both arms share the same teams, so the challenger's extra calls queue behind the
champion's, as in a live test. The split is drawn from the run's policy stream, so
the same seed gives the same arms.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from collectsim.policy import AccountView, ActionPlan, Policy, PolicyContext

CHAMPION, CHALLENGER = "champion", "challenger"


class SplitPolicy:
    def __init__(self, champion: Policy, challenger: Policy, share: float) -> None:
        if not 0.0 < share < 1.0:
            raise ValueError(f"challenger share must be strictly between 0 and 1, got {share}")
        self.champion, self.challenger, self.share = champion, challenger, share
        self.in_challenger = np.zeros(0, dtype=bool)

    def reset(self, ctx: PolicyContext) -> None:
        self.in_challenger = ctx.rng.random(ctx.n_accounts) < self.share
        self.champion.reset(ctx)
        self.challenger.reset(ctx)

    def decide(self, day: int, view: AccountView) -> ActionPlan:
        plan = ActionPlan()
        for name, policy, mask in (
            (CHAMPION, self.champion, ~self.in_challenger),
            (CHALLENGER, self.challenger, self.in_challenger),
        ):
            in_house = view.in_house & mask
            in_house.flags.writeable = False
            for d in policy.decide(day, replace(view, in_house=in_house)).dispatches:
                plan.add(d.channel, d.accounts[mask[d.accounts]], f"{name}:{d.rule}")
        return plan

    def still_due(self, rule: str, accounts: np.ndarray, day: int, view: AccountView) -> np.ndarray:
        """Ask the arm whose rule queued the work (rules carry the arm's name as a prefix)."""
        arm, _, inner = rule.partition(":")
        policy = self.champion if arm == CHAMPION else self.challenger if arm == CHALLENGER else None
        check = getattr(policy, "still_due", None)
        if check is None:
            return np.ones(accounts.size, dtype=bool)
        return check(inner, accounts, day, view)

    def arms(self) -> np.ndarray:
        """Arm name per account (after ``reset``)."""
        return np.where(self.in_challenger, CHALLENGER, CHAMPION)
