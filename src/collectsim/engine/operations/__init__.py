"""Operations: the teams that work the queues (rosters, agents, queues, what an agent does
with an item and whether it is still wanted), the legal pipeline, agency placement and
debt sale after charge-off, and the team machinery as a plain M/M/c queue (validation).

Imports only the accounts and contact rooms below it.
"""
