"""Rebuild the example history extract: ``python examples/histories/make.py`` (seed 2024, deterministic).

Two segments drawn exactly from the Chehrazi–Weber model (collectsim.calibration.synthetic) with
the parameters below; the fit in docs/calibration-histories.md should find them again.
"""

from pathlib import Path

from collectsim.calibration.synthetic import TrueParams, simulate_histories

PRIME = TrueParams(
    lambda_inf=0.01, lambda_0=0.05, kappa=0.10, delta_10=0.01, delta_11=0.05,
    p_full=0.30, r_alpha=2.0, r_beta=5.0, delta_2={"sms": 0.005, "call": 0.02, "letter": 0.01},
)  # fmt: skip
NEAR_PRIME = TrueParams(
    lambda_inf=0.004, lambda_0=0.02, kappa=0.15, delta_10=0.005, delta_11=0.08,
    p_full=0.15, r_alpha=1.5, r_beta=4.0, delta_2={"sms": 0.003, "call": 0.015, "letter": 0.008},
)  # fmt: skip

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    accounts, events = simulate_histories({"prime": PRIME, "near_prime": NEAR_PRIME}, accounts=3000, seed=2024)
    accounts.to_csv(here / "accounts.csv", index=False)
    events.to_csv(here / "events.csv", index=False)
    print(f"{len(accounts):,} accounts, {len(events):,} events written to {here}")
