"""What an action ended in: the outcome codes of contact draws, conduct rules, handle times and the event log.

Codes 0–2 are drawn for every send or attempt (``Contact.outcomes``); 3–5 mark team
work that is not a contact attempt. ``EVENT_OUTCOMES`` names every code, in order,
for the event log's categorical column.
"""

from __future__ import annotations

NO_ANSWER, WRONG_PARTY, RIGHT_PARTY = 0, 1, 2
OUTCOME_NAMES = ("no_answer", "wrong_party", "right_party")
FILED_OUTCOME, PLACED_OUTCOME, INBOUND_OUTCOME = 3, 4, 5
EVENT_OUTCOMES = (*OUTCOME_NAMES, "filed", "placed", "inbound")
