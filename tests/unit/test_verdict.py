"""Verdicts in words: the staffing decision and the comparison table say only what the numbers support."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from collectsim.experiments.stats import direction
from collectsim.present import HEADLINE, comparison_table, fmt_diff, fmt_value
from collectsim.results import Comparison
from collectsim.verdict import staffing_verdict


def _curve(service: list[float], net: list[float], heads: list[int] | None = None) -> pd.DataFrame:
    heads = heads or [4 + 2 * i for i in range(len(service))]
    return pd.DataFrame({"headcount": heads, "net_recovery": net, "service_level": service, "n": 3})


def test_best_headcount_below_target_says_so_and_names_the_smallest_adequate() -> None:
    """A best headcount missing the target is shown with its service level, beside the fewest agents meeting it."""
    lines = staffing_verdict(_curve([0.687, 0.85, 0.93, 0.99], [500, 450, 300, 100]), 0.9, "USD")
    text = "\n".join(lines)
    assert "best net recovery at headcount 4: USD 500, service level 68.7%" in text
    assert "smallest headcount with service level ≥ 90%: 8 (93.0%)" in text
    assert "headcount 4 misses the 90% target; meeting it with 8 agents costs USD 200 of net recovery" in text


def test_best_headcount_at_either_edge_of_the_range_is_warned() -> None:
    """An optimum at the smallest or largest headcount tried may lie outside the range: one warning line."""
    low = staffing_verdict(_curve([0.9, 0.95, 0.99], [300, 200, 100]), None, "USD")
    high = staffing_verdict(_curve([0.9, 0.95, 0.99], [100, 200, 300]), None, "USD")
    inside = staffing_verdict(_curve([0.9, 0.95, 0.99], [100, 300, 200]), None, "USD")
    assert [x for x in low if x.startswith("warning")] == [
        "warning: the best headcount is the smallest tried (4); the optimum may be lower: widen --headcount"
    ]
    assert any("largest tried (8)" in x for x in high)
    assert not any(x.startswith("warning") for x in inside)
    zero = staffing_verdict(_curve([0.5, 0.9], [300, 200], heads=[0, 2]), None, "USD")
    assert not any(x.startswith("warning") for x in zero)  # fewer than none is not an option


def test_no_headcount_meeting_the_target_is_said_plainly() -> None:
    """When no headcount tried reaches the target, the verdict says so instead of naming one."""
    lines = staffing_verdict(_curve([0.2, 0.4, 0.6], [100, 300, 200]), 0.9, "USD")
    assert "no headcount tried (4–8) reaches the 90% service target; try more agents" in lines


def _comparison(n: int, crn: bool = True) -> Comparison:
    rng = np.random.default_rng(3)
    rows = []
    for p, shift in (("A", 0.0), ("B", 0.02)):
        for r in range(n):
            rows.append(
                {
                    "policy": p,
                    "replication": r,
                    "recovery_rate": 0.5 + shift + rng.normal(0, 0.01),
                    "contacts_per_account": 10 + 100 * shift + rng.normal(0, 0.1),
                }
            )
    return Comparison(pd.DataFrame(rows), ("A", "B"), common_random_numbers=crn)


def _row(text: str, kpi: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(kpi))


def test_p_better_is_a_dash_for_a_kpi_with_no_better_side() -> None:
    """Contacts per account has no better side: P(better) is "—", not P(larger) passed off as P(better)."""
    cmp = _comparison(4)
    text = comparison_table(cmp.summary(), cmp.policies, "USD", ("recovery_rate", "contacts_per_account"))
    assert _row(text, "contacts_per_account").split()[-2] == "—"
    assert _row(text, "recovery_rate").split()[-2] not in ("—", "nan")


def test_independent_streams_drop_the_vrf_column_and_the_crn_header() -> None:
    """Without common random numbers there is no variance reduction to report."""
    cmp = _comparison(4, crn=False)
    text = comparison_table(cmp.summary(), cmp.policies, "USD", ("recovery_rate",), paired=False)
    assert "VRF" not in text and "common random numbers" not in text
    assert "independent random numbers" in text


def test_one_replication_prints_no_interval_and_no_nan() -> None:
    """With n = 1 there is no interval: the table says so once, and never prints "nan"."""
    cmp = _comparison(1)
    text = comparison_table(cmp.summary(), cmp.policies, "USD", ("recovery_rate", "contacts_per_account"))
    assert "no interval with one replication" in text
    assert "nan" not in text.lower() and "VRF" not in text
    assert fmt_diff("recovery_rate", 0.0123, float("nan"), "USD") == "+1.23 pp"


def test_lifetime_and_per_account_net_recovery_have_a_better_side() -> None:
    """Recovery including the horizon value, and net recovery per account, are better higher (were neutral)."""
    assert direction("recovery_rate_with_terminal") == 1
    assert direction("net_recovery_per_account") == 1
    assert direction("contacts_per_account") == 0


def test_headline_kpis_without_a_better_side_are_named_in_the_readme() -> None:
    """P(better) is "—" for a count of activity such as promises kept (a policy taking more promises keeps more
    and breaks more), and the README names every headline KPI that shows it; the kept rate has a better side."""
    assert direction("promises_kept") == 0 and direction("promise_kept_rate") == 1
    neutral = [kpi for kpi in HEADLINE if direction(kpi) == 0]
    assert "promises_kept" in neutral
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (paragraph,) = [p for p in readme.split("\n\n") if 'shows "—" for P(better)' in p]
    assert [kpi for kpi in neutral if f"`{kpi}`" not in paragraph] == []


def test_counts_read_as_whole_numbers_and_ratios_keep_decimals() -> None:
    """One run's legal filings are "252", not "252.00"; a mean of counts or a ratio keeps two places."""
    assert fmt_value("legal_filed", 252.0, "USD") == "252"
    assert fmt_value("legal_filed", 94.5, "USD") == "94.50"
    assert fmt_value("complaints_per_1000", 3.0, "USD") == "3.00"


def test_declared_shares_read_as_percentages() -> None:
    """A KPI declared a fraction reads as a percentage even when its name says neither "rate" nor "share_"."""
    assert fmt_value("sustained_cure_share", 0.868, "USD") == "86.80%"
    assert fmt_value("statement_roll_rate_30_60", 0.479, "USD") == "47.90%"
    assert fmt_value("mean_days_to_resolution", 31.29, "USD") == "31.29"
    assert fmt_value("npv_with_performing", 13722895.55, "USD") == "USD 13,722,896"  # money, not a count


def test_statement_kpis_have_a_better_side() -> None:
    """Compare's verdicts rank the monthly roll and sustained cures, which a card issuer judges a strategy by."""
    assert direction("statement_roll_rate_30_60") == -1
    assert direction("sustained_cure_share") == 1
    assert direction("redefault_rate") == -1


def test_report_verdict_with_one_replication_says_there_is_no_interval() -> None:
    """The report's 'which policy wins' table prints no "nan" for one replication: a dash and the reason."""
    from collectsim.report import verdicts

    cmp = _comparison(1)
    rows = verdicts(cmp.summary(), list(cmp.policies), "USD")
    assert rows and all("nan" not in " ".join(r).lower() for r in rows)
    assert rows[0][3] == "—" and rows[0][4] == "no interval with one replication"


def test_report_subtitle_reads_wall_time_in_seconds() -> None:
    """The subtitle says "wall time 2.1 s", not "wall time s 2.126"."""
    from collectsim.report import _subtitle

    text = _subtitle({"version": "0", "seed": 1, "replications": 1, "wall_time_s": 2.126})
    assert "wall time 2.1 s" in text and "1 replication" in text and "replications" not in text


def test_long_policy_names_are_printed_whole_and_columns_line_up() -> None:
    """The compare table sizes its columns to the widest cell: a 40-character policy name is not cut, the
    Δ header names the challenger in full, and every row ends at the same column."""
    cmp = _comparison(4)
    long_a, long_b = "champion_ladder_with_a_very_long_name_v1", "challenger[soft]_with_an_even_longer_name"
    table = cmp.table.assign(policy=cmp.table["policy"].map({"A": long_a, "B": long_b}))
    named = Comparison(table, (long_a, long_b))
    text = comparison_table(named.summary(), named.policies, "USD", ("recovery_rate", "contacts_per_account"))
    assert long_a in text and long_b in text and f"Δ {long_b} − champion" in text  # "[" is text, not markup
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("KPI"))
    block = lines[start : start + 4]  # header, rule, two KPI rows
    assert len({len(line) for line in block}) == 1, block
    assert "\x1b" not in text  # plain text, never a terminal escape code


def test_text_table_is_plain_aligned_text() -> None:
    """text_table: left-aligned leading columns, right-aligned numbers, a rule under the header, nothing cut."""
    from collectsim.present import text_table

    text = text_table(
        ["team", "agents", "service"], [["early_callers_long_team_name", "4", "68.7%"], ["x", "12", "100.0%"]]
    )
    head, rule, first, second = text.splitlines()
    assert head.startswith("team") and set(rule) <= {"─", " "} and first.startswith("early_callers_long_team_name")
    assert first.endswith(" 68.7%") and second.endswith("100.0%") and len(first) == len(second) == len(head)
    assert second.startswith("x ") and first.index("4") == second.index("12") + 1  # numbers right-aligned


def test_report_verdict_gives_the_champions_lead_over_the_nearest_challenger() -> None:
    """When the champion wins a KPI the table says by how much, over the challenger nearest to it, not a dash."""
    from collectsim.report import verdicts

    rng = np.random.default_rng(5)
    rows = [
        {"policy": p, "replication": r, "recovery_rate": 0.5 + shift + rng.normal(0, 0.002)}
        for p, shift in (("champ", 0.03), ("far", -0.05), ("near", 0.0))
        for r in range(8)
    ]
    cmp = Comparison(pd.DataFrame(rows), ("champ", "far", "near"))
    summary = cmp.summary()
    near = summary[(summary["kpi"] == "recovery_rate") & (summary["policy"] == "near")].iloc[0]
    row = next(r for r in verdicts(summary, list(cmp.policies), "USD") if r[0] == "recovery_rate")
    assert row[1] == "champ (champion)"
    assert row[2].startswith(f"+{-near['diff'] * 100:.2f} pp ±") and row[2].endswith("over near"), row[2]
    assert row[4] == "very likely"


def test_money_cell_signs_before_the_currency() -> None:
    """Staffing tables' money: a true minus before the currency, the half-width after, a dash for no value."""
    from collectsim.present import money_cell

    assert money_cell(-30254.4, float("nan"), "USD") == "−USD 30,254"
    assert money_cell(33.0, 4.2, "EUR") == "EUR 33 ± 4"
    assert money_cell(float("nan"), 1.0, "USD") == "—"
    assert money_cell(0.0, float("nan"), "USD") == money_cell(0.4, float("nan"), "USD") == "USD 0"  # no "−USD 0"


def test_report_verdict_champion_lead_is_money_in_currency_and_its_p_from_the_closest_pairing() -> None:
    """A money KPI the champion leads on reads in the scenario's currency; P(better) is the champion's against
    its closest challenger (1 − that challenger's P); a champion alone gets a dash and no sureness."""
    from collectsim.report import verdicts

    rng = np.random.default_rng(7)
    rows = [
        {"policy": p, "replication": r, "net_recovery": 1000.0 + shift + rng.normal(0, 30)}
        for p, shift in (("champ", 20.0), ("near", 0.0), ("far", -500.0))
        for r in range(6)
    ]
    cmp = Comparison(pd.DataFrame(rows), ("champ", "near", "far"))
    summary = cmp.summary()
    near = summary[(summary["kpi"] == "net_recovery") & (summary["policy"] == "near")].iloc[0]
    (row,) = verdicts(summary, list(cmp.policies), "EUR")
    assert row[2].startswith("+EUR ") and row[2].endswith(" over near"), row[2]
    assert row[3] == f"{1 - near['p_better']:.2f}" and 0.05 < 1 - near["p_better"] < 0.999
    alone = summary[summary["policy"] == "champ"]
    (solo,) = verdicts(alone, ["champ"], "EUR")
    assert solo[1:] == ["champ (champion)", "—", "—", "no interval with one replication"]


def test_searched_settings_read_as_people_write_them() -> None:
    """The optimise report's settings table and the terminal agree: four figures, a switched step on/off."""
    from collectsim.present import setting_value

    assert setting_value(0.9498985121087944) == "0.9499" and setting_value(600.0897024131625) == "600.1"
    assert setting_value(True) == "on" and setting_value(False) == "off (step removed)" and setting_value(5) == "5"
