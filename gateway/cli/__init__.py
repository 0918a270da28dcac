"""The ``loopgate`` command.

Every module in this package that defines ``register(subparsers)`` contributes a
subcommand; the parsed namespace carries a ``run`` callable returning the exit code.
Modules whose names start with ``_`` are helpers.
"""

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_settings import SettingsError
from rich.markup import escape

from gateway.cli._console import CliError, console_err


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loopgate",
        description="Loopgate: open O2O platform and GraphQL federation gateway.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{module.name}").register(subparsers)
    return parser


def configuration_problem(error: ValidationError | SettingsError) -> str:
    """One line naming each bad ``LOOPGATE_*`` variable (Settings validates the environment;
    a list or mapping that is not JSON fails before validation, as a SettingsError)."""
    if isinstance(error, SettingsError):
        return f"invalid configuration: {error} ({error.__cause__})"
    problems = []
    for problem in error.errors(include_url=False):
        name = "LOOPGATE_" + "_".join(str(part) for part in problem["loc"][:1]).upper()
        problems.append(f"{name}: {problem['msg']} (got {problem.get('input')!r})")
    return "invalid configuration: " + "; ".join(problems)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        console_err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except (ValidationError, SettingsError) as exc:
        console_err.print(f"[bold red]error:[/] {escape(configuration_problem(exc))}",
                          highlight=False)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
