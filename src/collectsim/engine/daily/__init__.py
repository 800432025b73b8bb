"""The daily loop: simulate builds a Simulation from every room below, runs its
days, and assembles the RunResult from the recorder's daily series and the final state.

The top room: it may import every room below it; nothing in the engine imports it
but the package's own simulate.
"""
