"""Scenario: validated, immutable data describing a portfolio, its teams and its policy."""

from collectsim.scenario.load import load_scenario, same_settings, scenario_from_dict, with_overrides
from collectsim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "same_settings", "scenario_from_dict", "with_overrides"]
