"""A Gymnasium environment over collectsim (install the ``gym`` extra: ``pip install collectsim[gym]``).

``CollectionsEnv`` runs one scenario's horizon a week at a time: the agent picks a contact option
per (segment, DPD bucket) cell, the week is simulated with that table, and the reward is the
week's net collections. See docs/gym.md.
"""

try:
    import gymnasium as _gymnasium  # noqa: F401  (the extra is checked here, once, with an install hint)
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("collectsim.gym needs gymnasium: pip install 'collectsim[gym]'") from exc

from collectsim.gym.env import CollectionsEnv
from collectsim.policy.table import DEFAULT_BUCKETS, DEFAULT_OPTIONS, TablePolicy

__all__ = ["DEFAULT_BUCKETS", "DEFAULT_OPTIONS", "CollectionsEnv", "TablePolicy"]
