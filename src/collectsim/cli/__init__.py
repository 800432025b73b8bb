"""The command line: parse, call the public API, present or store. Never reaches into the engine.

Every user error (bad file, bad flag) ends with one line naming the field and exit code 2.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Sequence

from collectsim.cli.parser import EXIT_USAGE, _build_parser
from collectsim.errors import CollectsimError, one_line

# Each command's module is imported only when that command runs, so `collectsim --help` and a
# one-line error on a bad flag do not wait for the simulator, pandas or scipy to load.
COMMANDS = {
    "validate": "collectsim.cli.run:_cmd_validate",
    "run": "collectsim.cli.run:_cmd_run",
    "compare": "collectsim.cli.experiments:_cmd_compare",
    "sweep": "collectsim.cli.experiments:_cmd_sweep",
    "staff": "collectsim.cli.experiments:_cmd_staff",
    "optimise": "collectsim.cli.optimise:_cmd_optimise",
    "erlang": "collectsim.cli.run:_cmd_erlang",
    "report": "collectsim.cli.run:_cmd_report",
    "portfolio": "collectsim.cli.run:_cmd_portfolio",
    "calibrate": "collectsim.cli.calibrate:_cmd_calibrate",
}

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    module, _, name = COMMANDS[args.command].partition(":")
    as_json = getattr(args, "json", False)
    try:
        # With --json the command's text goes to stderr and stdout carries only the JSON document.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            code = getattr(importlib.import_module(module), name)(args)
        if as_json and code == 0:
            from collectsim.store.files import json_text

            print(json_text(args.json_payload, indent=2))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except CollectsimError as exc:
        print(f"{_prog(args)}: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("collectsim: interrupted; nothing written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _prog(args) -> str:
    """'collectsim staff', 'collectsim portfolio import': the prefix argparse gives the same command's flag errors,
    so every error of a command starts alike."""
    sub = getattr(args, f"{args.command}_command", None)
    return " ".join(["collectsim", args.command, *([sub] if sub else [])])


def _reader_gone() -> int:
    """The reader of stdout left (``collectsim compare … | head -1``): stop quietly, as a SIGPIPE would.

    Python's own flush at exit would raise again on the dead pipe, so stdout is pointed at /dev/null.
    """
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BROKEN_PIPE
