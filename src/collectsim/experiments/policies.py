"""Research policies named on a command line, or handed to experiments, made fresh for each run.

A policy keeps per-run state after ``reset``, so every simulation gets its own instance: a
``MODULE:CLASS`` name is imported and instantiated where the run happens (in a worker process
too, which is why jobs carry the name rather than an object from the user's own module), and a
policy object is deep-copied. Modules are looked up in the current directory first, as
``python -m`` would.
"""

from __future__ import annotations

import copy
import importlib
import sys
from pathlib import Path

from collectsim.errors import CollectsimError
from collectsim.policy import Policy

PolicyRef = Policy | str


def load_policy(spec: str) -> Policy:
    """A new instance of the class ``spec`` names (``MODULE:CLASS``); one-line errors otherwise."""
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise CollectsimError(f"--policy: '{spec}' must be MODULE:CLASS, e.g. mypolicies:ScoreFirst")
    sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CollectsimError(f"--policy: cannot import module '{module_name}': {exc}") from None
    finally:
        sys.path.pop(0)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise CollectsimError(f"--policy: module '{module_name}' has no class '{class_name}'")
    try:
        policy = cls()
    except TypeError as exc:
        raise CollectsimError(f"--policy: {spec} cannot be made without arguments: {exc}") from None
    if not isinstance(policy, Policy):
        raise CollectsimError(f"--policy: {spec} must define reset(ctx) and decide(day, view)")
    return policy


def fresh_policy(ref: PolicyRef) -> Policy:
    """The policy a run uses: a new instance of a named class, or a copy of an object (its state not shared)."""
    if isinstance(ref, str):
        return load_policy(ref)
    if not isinstance(ref, Policy):
        raise CollectsimError(f"policy {ref!r} must define reset(ctx) and decide(day, view)")
    return copy.deepcopy(ref)
