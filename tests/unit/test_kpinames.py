"""KPI names a scenario reports, and the answer to a name it does not."""

from __future__ import annotations

from pathlib import Path

import collectsim as cs
from collectsim.experiments import kpinames

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"


def test_known_kpis_come_from_a_small_pilot_of_the_same_scenario(monkeypatch) -> None:
    """The pilot has 20 accounts whatever the scenario's size (a check before the work must not be the work)."""
    seen = []
    real = kpinames.simulate

    def spy(sc, seed):
        seen.append(sc.population.accounts)
        return real(sc, seed)

    monkeypatch.setattr(kpinames, "simulate", spy)
    known = kpinames.known_kpis(cs.load_scenario(BASELINE))
    assert seen == [20]
    assert {"recovery_rate", "net_recovery", "team.early_callers.service_level"} <= set(known)


def test_not_a_kpi_suggests_only_a_close_name() -> None:
    known = ["recovery_rate", "net_recovery"]
    assert kpinames.not_a_kpi("recovery_rat", known) == (
        "'recovery_rat' is not a KPI; did you mean 'recovery_rate'? see kpis.json of any run for the list"
    )
    assert kpinames.not_a_kpi("zzz", known) == "'zzz' is not a KPI; see kpis.json of any run for the list"
