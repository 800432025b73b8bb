"""No contact outside contact hours, and none on non-working days, for any channel kind."""

from __future__ import annotations

import collectsim as cs
from collectsim.scenario.schema import WEEKDAYS


def test_every_action_inside_contact_hours_and_on_working_days(small_run: cs.RunResult, small: cs.Scenario) -> None:
    """Sends, calls, visits, filings and placements happen within 08:00–21:00 on working days;
    letters are posted on working days and delivered mid-morning (the post also runs on Saturdays)."""
    ev = small_run.events
    kinds = {k: c.kind for k, c in small.channels.items()}
    kind = ev["channel"].astype(str).map(kinds)
    seen = set(kind.unique())
    assert {"message", "call", "letter", "visit", "legal", "agency"} <= seen, seen
    hour = (ev["time"] % 1.0) * 24.0
    lo, hi = small.calendar.contact_hours
    assert ((hour >= lo - 1e-6) & (hour < hi)).all()
    start = WEEKDAYS.index(small.horizon.start_weekday)
    working = {WEEKDAYS.index(d) for d in small.calendar.working_days}
    weekday = (start + ev["day"]) % 7
    not_letter = (kind != "letter").to_numpy()
    assert weekday[not_letter].isin(working).all()
    delay = small.channels["letter"].delivery_days
    posted = (start + ev["day"][~not_letter] - delay) % 7
    assert posted.isin(working).all()
