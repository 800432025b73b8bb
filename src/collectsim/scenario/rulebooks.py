"""Shipped conduct rulebooks (docs/sources.md, Conduct rules), as rules of the kinds in ``conduct.py``.

Each preset encodes the numeric, simulable core of its source; clauses with no
numbers to simulate (disclosure, record keeping) are out of scope. Channel names
in presets ("sms", "ivr") apply only where a scenario defines them.
"""

from __future__ import annotations

from collectsim.scenario.conduct import Cap, Conduct, CoolOff, Crew, Forbearance, Hours, Rules, Stop

PRESETS: dict[str, Rules] = {
    # 12 CFR 1006.14(b)(2): ≤ 7 call attempts in 7 days, none within 7 days of a conversation;
    # FDCPA 805(a)(1): 08:00–21:00 local; 805(c): cease on request; 809(b): dispute pauses collection.
    "us_reg_f": Rules(
        caps=(Cap(name="reg_f_7_calls_in_7_days", kinds=("call",), max=7, window_days=7),),
        hours=(Hours(name="reg_f_hours_8_21", start=8, end=21),),
        cool_offs=(CoolOff(name="reg_f_7_days_after_conversation", days=7),),
        stops=(
            Stop(name="reg_f_cease_on_request", on="refusal"),
            Stop(name="reg_f_dispute_hold", on="dispute", kinds=("message", "call", "visit", "letter", "legal")),
        ),
    ),
    # 940 CMR 7.04(1)(f): ≤ 2 calls or texts per 7 days; ≤ 1 visit per 30 days; 08:00–21:00.
    "us_ma": Rules(
        caps=(
            Cap(name="ma_2_calls_or_texts_in_7_days", kinds=("call",), channels=("sms",), max=2, window_days=7),
            Cap(name="ma_1_visit_in_30_days", kinds=("visit",), max=1, window_days=30),
        ),
        hours=(Hours(name="ma_hours_8_21", start=8, end=21),),
    ),
    # National standard (2025): no collection 22:00–08:00; ≤ 3 effective interactive calls per debtor per day,
    # AI voice included; stop when the debtor refuses.
    "cn_national_standard_2025": Rules(
        caps=(
            Cap(
                name="cn_3_effective_calls_per_day",
                kinds=("call",),
                channels=("ivr",),
                counts="connected",
                max=3,
                window_days=1,
            ),
        ),
        hours=(Hours(name="cn_no_collection_22_8", start=8, end=22),),
        stops=(Stop(name="cn_stop_on_refusal", on="refusal"),),
    ),
    # CBA guideline (2026): no phone or field collection 22:00–08:00; ≤ 6 unanswered attempts a day; field
    # visits by ≥ 2 collectors.
    "cn_cba_2026": Rules(
        caps=(Cap(name="cba_6_unanswered_per_day", kinds=("call",), counts="unanswered", max=6, window_days=1),),
        hours=(Hours(name="cba_no_collection_22_8", start=8, end=22, kinds=("call", "visit")),),
        crews=(Crew(name="cba_2_collectors_per_visit", min_collectors=2),),
    ),
    # CCD2 Art. 35: reasonable forbearance before enforcement proceedings.
    "eu_ccd2": Rules(forbearance=(Forbearance(name="ccd2_forbearance_before_enforcement"),)),
}


def rulebook(conduct: Conduct) -> Rules:
    """The presets' rules followed by the scenario's own, as one rulebook."""
    parts = [PRESETS[p] for p in conduct.presets] + [conduct.rules]
    return Rules(
        caps=tuple(r for p in parts for r in p.caps),
        hours=tuple(r for p in parts for r in p.hours),
        cool_offs=tuple(r for p in parts for r in p.cool_offs),
        stops=tuple(r for p in parts for r in p.stops),
        crews=tuple(r for p in parts for r in p.crews),
        forbearance=tuple(r for p in parts for r in p.forbearance),
    )
