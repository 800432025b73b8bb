"""A scenario in words, for the report: portfolio, ladder, teams, legal, agency, rules."""

from __future__ import annotations

from collectsim.scenario.rulebooks import rulebook
from collectsim.scenario.schema import Scenario


def _money(x: float, cur: str) -> str:
    return f"{cur} {x:,.0f}"


def portfolio(sc: Scenario) -> list[str]:
    pop = sc.population
    entry = (
        "all entering delinquency on day 0"
        if pop.mode == "cohort"
        else f"entering over {pop.inflow_days} days"
        + (" with a seasonal weekly profile" if pop.inflow_weekly_weights else "")
    )
    out = [
        f"{pop.accounts:,} accounts, {entry}; simulated for {sc.horizon.days} days; charge-off at "
        f"{sc.chargeoff.dpd} days past due; risk score AUC {sc.score.auc:.2f}."
    ]
    for name, seg in pop.segments.items():
        mix = ", ".join(f"{r} {w:.0%}" for r, w in seg.reasons.items() if w > 0)
        bal = seg.balance.build()
        out.append(
            f"Segment {name}: {seg.share:.0%} of accounts, mean balance {_money(bal.mean, sc.currency)}, "
            f"entering at {entry_dpd_words(seg.entry_dpd)}; latent reasons {mix}."
        )
    return out


def entry_dpd_words(entry_dpd) -> str:
    """"DPD 5", or for a spread "DPD 1–59 (mean 27.5)"."""
    if isinstance(entry_dpd, int):
        return f"DPD {entry_dpd}"
    return f"DPD {entry_dpd.lowest}–{entry_dpd.ranges[-1][1]} (mean {entry_dpd.build().mean:.1f})"


def ladder(sc: Scenario) -> list[str]:
    out = [f"Team queues are worked in order of {sc.policy.priority.replace('_', ' ')}."]
    for lname, lad in sc.policy.ladders.items():
        who = "all segments" if lad.segments is None else ", ".join(lad.segments)
        out.append(f"Ladder {lname} ({who}):")
        for st in lad.stages:
            acts = []
            for a in st.actions:
                start = st.from_dpd if a.start_dpd is None else a.start_dpd
                rep = f"every {a.every_days} days" if a.every_days else "once"
                cap = f", at most {a.max_times}×" if a.max_times else ""
                filt = []
                if a.score_min > 0 or a.score_max < 1:
                    filt.append(f"score {a.score_min:g}–{a.score_max:g}")
                if a.balance_min > 0:
                    filt.append(f"balance ≥ {a.balance_min:,.0f}")
                stop = f"; stops while {', '.join(s.replace('_', ' ') for s in a.stop_on)}" if a.stop_on else ""
                acts.append(
                    f"{a.channel} from DPD {start} {rep}{cap}" + (f" ({', '.join(filt)})" if filt else "") + stop
                )
            out.append(f"  DPD {st.from_dpd}–{st.to_dpd} ({st.name}): " + ("; ".join(acts) or "no action") + ".")
        if lad.on_broken_promise:
            out.append(
                f"  After a broken promise: {lad.on_broken_promise.channel} "
                f"{lad.on_broken_promise.delay_days} day(s) later."
            )
    return out


def teams(sc: Scenario) -> list[str]:
    out = []
    for name, t in sc.teams.items():
        shifts = (
            ", ".join(f"{s.start:g}–{s.end:g}h ({s.share:.0%})" for s in t.shifts)
            if t.shifts
            else f"{t.shift[0]:g}–{t.shift[1]:g}h"
        )
        extras = []
        if t.shrinkage:
            extras.append(f"{t.shrinkage:.0%} shrinkage")
        if t.max_occupancy < 1:
            extras.append(f"occupancy ≤ {t.max_occupancy:.0%}")
        if t.max_rpc_per_hour:
            extras.append(f"dialer paced at {t.max_rpc_per_hour:g} RPC/h")
        if t.helps:
            extras.append("helps " + ", ".join(t.helps))
        out.append(
            f"{name}: {t.headcount} agents, shifts {shifts}, {_money(t.cost_per_fte_day, sc.currency)} per "
            f"FTE-day, unfinished work {'carried over' if t.backlog == 'carry' else 'dropped'}"
            + (f"; {', '.join(extras)}" if extras else "")
            + "."
        )
    return out


def pipelines(sc: Scenario) -> list[str]:
    lg, ag = sc.legal, sc.agency
    return [
        f"Legal: filing fee {_money(lg.filing_fee, sc.currency)}; service after ~{lg.service_days.build().mean:.0f} "
        f"days; {lg.settle_after_service:.0%} settle once served; judgement after ~{lg.court_days.build().mean:.0f} "
        f"days by default unless contested ({lg.contested_prob:.0%}: ~{lg.contested_days.build().mean:.0f} days, "
        f"won {lg.contested_win_prob:.0%}); {lg.enforceable_share:.0%} of judgements enforceable by "
        "weekly garnishment.",
        f"Agency: placements of {ag.placement_days} days, a contact every {ag.contact_every_days} days on top of "
        f"the borrower's own repayment, commission {ag.commission:.0%} of what it collects, recalled at the end.",
        *sale(sc),
        *conduct(sc),
    ]


def sale(sc: Scenario) -> list[str]:
    """The debt sale in words, if the scenario sells charged-off debt."""
    ds = sc.debt_sale
    if ds is None:
        return []
    when = "on the charge-off day" if ds.after_days == 0 else f"{ds.after_days} days after charge-off"
    drop = f", falling by {ds.price_drop_per_year:.2f} a year since charge-off" if ds.price_drop_per_year else ""
    held = [w for w, skip in (("placed at an agency", ds.skip_placed), ("in court", ds.skip_legal)) if skip]
    wait = f"; accounts {' or '.join(held)} are sold once that ends" if held else ""
    return [f"Debt sale: written-off accounts sold {when} at {ds.price:.2f} per unit of face value{drop}{wait}."]


def conduct(sc: Scenario) -> list[str]:
    """The rulebook in words: mode, presets and every rule by name; complaint costs."""
    rules = rulebook(sc.conduct).all()
    if not rules:
        head = "Conduct rules: none."
    else:
        how = "enforced (blocked or deferred)" if sc.conduct.mode == "enforce" else "audited (counted, not stopped)"
        presets = f" from {', '.join(sc.conduct.presets)}" if sc.conduct.presets else ""
        head = f"Conduct rules{presets}, {how}: " + ", ".join(r.name for r in rules) + "."
    money = (
        f"Cash flows are discounted at {sc.economy.cost_of_funds:.1%} a year for the NPV; what is open at day "
        f"{sc.horizon.days} is valued as if nothing new were done after it."
    )
    return [head, f"Complaints cost {_money(sc.complaints.cost, sc.currency)} each.", money]


def scenario_in_words(sc: Scenario) -> dict[str, list[str]]:
    return {
        "Portfolio": portfolio(sc),
        "Policy ladder": ladder(sc),
        "Teams": teams(sc),
        "Legal, agency and rules": pipelines(sc),
    }
