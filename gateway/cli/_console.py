"""Console output shared by the subcommands, and the one error type they raise."""

from rich.console import Console

console = Console(soft_wrap=True)
console_err = Console(stderr=True, soft_wrap=True)


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit code non-zero, no traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
