"""Dotted-path overrides parse as TOML values and act before validation."""

from __future__ import annotations

import pytest

from collectsim.errors import ScenarioError
from collectsim.scenario.overrides import apply_overrides, parse_assignment


def test_parse_values() -> None:
    """Numbers, booleans, strings and arrays are read as TOML; bare words stay strings."""
    assert parse_assignment("a.b=12") == ("a.b", 12)
    assert parse_assignment("a=0.5") == ("a", 0.5)
    assert parse_assignment("a=true") == ("a", True)
    assert parse_assignment("a=[1, 2]") == ("a", [1, 2])
    assert parse_assignment("a=fifo") == ("a", "fifo")


def test_bad_assignment() -> None:
    """Text without '=' is an error naming --set."""
    with pytest.raises(ScenarioError, match="--set"):
        parse_assignment("teams.x.headcount")


def test_apply_creates_and_indexes() -> None:
    """Tables are created on the way; list items are addressed by index; the input is untouched."""
    raw = {"a": {"b": 1}, "l": [{"x": 1}, {"x": 2}]}
    out = apply_overrides(raw, {"a.c": {"d": 3}, "n.m": 4, "l.1.x": 9})
    assert out == {"a": {"b": 1, "c": {"d": 3}}, "n": {"m": 4}, "l": [{"x": 1}, {"x": 9}]}
    assert raw == {"a": {"b": 1}, "l": [{"x": 1}, {"x": 2}]}
    with pytest.raises(ScenarioError, match="not an index"):
        apply_overrides(raw, {"l.5.x": 1})


def test_misspelt_table_is_an_error() -> None:
    """A misspelt team name is not silently a new team."""
    raw = {"teams": {"early_callers": {"headcount": 1}}}
    with pytest.raises(ScenarioError, match="did you mean 'early_callers'"):
        apply_overrides(raw, {"teams.early_caller.headcount": 3})
