"""The command line: parse, call the public API, present or store. Never reaches into the engine.

Every user error (bad file, bad flag) ends with one line naming the field and exit code 2.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

from collectsim.cli.calibrate import _cmd_calibrate
from collectsim.cli.experiments import _cmd_compare, _cmd_staff, _cmd_sweep
from collectsim.cli.optimise import _cmd_optimise
from collectsim.cli.parser import EXIT_USAGE, _build_parser
from collectsim.cli.run import _cmd_erlang, _cmd_portfolio, _cmd_report, _cmd_run, _cmd_validate
from collectsim.errors import CollectsimError, one_line

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe


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
        code = commands[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except CollectsimError as exc:
        print(f"collectsim: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("collectsim: interrupted; nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of stdout left (``collectsim compare … | head -1``): stop quietly, as a SIGPIPE would.

    Python's own flush at exit would raise again on the dead pipe, so stdout is pointed at /dev/null.
    """
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE
