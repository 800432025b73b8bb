"""Result types returned by the engine: tidy tables, one row per thing.

``RunResult`` columns (``accounts``): account_id, segment, reason, entry_day,
entry_dpd, opening_balance, score, paid, discount, written_off, outstanding,
status, resolution_day, resolution_dpd, first_payment_day, payments, attempts,
contacts, rpcs, promises, promises_kept, legal_stage, ever_placed, direct_cost,
and the latent traits (self_cure_label, lambda_inf, willingness, ability,
contactability) that a policy never sees but an analyst may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class RunResult:
    """One simulated run: KPIs, daily series, per-account outcomes, per-team figures, events."""

    kpis: dict[str, float]
    daily: pd.DataFrame
    accounts: pd.DataFrame
    teams: pd.DataFrame
    costs: pd.DataFrame
    events: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def kpi_frame(self) -> pd.DataFrame:
        """KPIs as a two-column table (kpi, value), in definition order."""
        return pd.DataFrame({"kpi": list(self.kpis), "value": list(self.kpis.values())})
