"""The accounts: their state, who they are (population, risk score), how they repay
(behaviour), what they are offered (offers) and what they are worth at the horizon.

The lowest room: it imports no other room of the engine.
"""
