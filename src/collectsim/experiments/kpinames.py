"""Which KPI names a scenario reports, and the one-line answer to a name it does not.

A sweep file, a search space, calibration targets and ``compare --target-kpi`` all name KPIs; each
checks them before any work starts, against a 20-account pilot of the same scenario (the KPIs a run
reports depend on it: teams, rulebooks, a contract and the horizon add their own).
"""

from __future__ import annotations

import difflib

from collectsim.engine import simulate
from collectsim.scenario import Scenario, with_overrides


def known_kpis(scenario: Scenario) -> list[str]:
    """The KPI names ``simulate`` reports for this scenario (a 20-account pilot over its horizon)."""
    pilot = with_overrides(scenario, {"population.accounts": 20})
    return list(simulate(pilot, 0).kpis)


def not_a_kpi(kpi: str, known: list[str], note: str = "") -> str:
    """What to tell a user who named ``kpi``, which is not among ``known``: the nearest name, if one is close,
    then ``note`` (a caller's own hint, ending in "; ")."""
    close = difflib.get_close_matches(kpi, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"'{kpi}' is not a KPI; {hint}{note}see kpis.json of any run for the list"
