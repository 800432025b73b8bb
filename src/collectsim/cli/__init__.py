"""The command line: parse, call the public API, present or store. Never reaches into the engine.

Every user error (bad file, bad flag) ends with one line naming the field and exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from collectsim.cli.calibrate import _cmd_calibrate
from collectsim.cli.experiments import _cmd_compare, _cmd_staff, _cmd_sweep
from collectsim.cli.optimise import _cmd_optimise
from collectsim.cli.parser import EXIT_USAGE, _build_parser
from collectsim.cli.run import _cmd_erlang, _cmd_portfolio, _cmd_report, _cmd_run, _cmd_validate
from collectsim.errors import CollectsimError


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    commands = {
        "validate": _cmd_validate,
        "run": _cmd_run,
        "compare": _cmd_compare,
        "sweep": _cmd_sweep,
        "staff": _cmd_staff,
        "optimise": _cmd_optimise,
        "erlang": _cmd_erlang,
        "report": _cmd_report,
        "portfolio": _cmd_portfolio,
        "calibrate": _cmd_calibrate,
    }
    try:
        return commands[args.command](args)
    except CollectsimError as exc:
        print(f"collectsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("collectsim: interrupted; nothing written", file=sys.stderr)
        return 130
