"""docs/scenario-reference.md is what the schema says: regenerate it when a field changes."""

from __future__ import annotations

from pathlib import Path

from collectsim.scenario.reference import scenario_reference
from collectsim.scenario.schema import Channel, Interest, Scenario

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario-reference.md"


def test_reference_matches_the_schema() -> None:
    assert DOC.read_text() == scenario_reference(), (
        "docs/scenario-reference.md is stale: python -m collectsim.scenario.reference > docs/scenario-reference.md"
    )


def test_every_table_and_field_is_listed_with_its_bounds() -> None:
    text = scenario_reference()
    for model in (Scenario, Channel, Interest):
        assert f"## {model.__name__}" in text
        for name in model.model_fields:
            assert f"| `{name}` |" in text
    assert "| `delivery_days` | integer | `0` | ≥ 0, ≤ 60 |" in text
    assert "| `apr` | number | `0.0` | ≥ 0, ≤ 2 |" in text
