"""User-facing errors: each carries a one-line message that names what is wrong."""

from __future__ import annotations

import re


class CollectsimError(Exception):
    """Base class for every error a user can cause; the CLI maps it to exit code 2."""


class ScenarioError(CollectsimError):
    """A scenario (file, overrides or model) is invalid.

    Holds every problem found, each as ``(field_path, message)``, so a user can fix
    a file in one pass instead of one error per run.
    """

    def __init__(self, problems: list[tuple[str, str]], source: str = "scenario") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The first problem, after its source and field path (each left out when empty)."""
        path, msg = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return ": ".join(part for part in (self.source, path, f"{msg}{more}") if part)

    def lines(self) -> list[str]:
        return [f"{path}: {msg}" if path else msg for path, msg in self.problems]


_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\r`` → ``\\\\r``).

    Messages quote user input (an unknown key, a flag's value); a key holding a newline must not
    turn the one-line error into three.
    """
    return _BREAKS.sub(lambda m: repr(m.group())[1:-1], text)
