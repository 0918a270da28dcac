"""What composition takes in: one subgraph's name, SDL and routing URL."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SubgraphSource:
    """A subgraph to compose.

    ``file`` is where the SDL came from (a path, or ``module:attr`` for an in-process
    Strawberry schema); errors cite it with a line number so a partner can jump there.
    """

    name: str
    sdl: str
    url: str = ""
    file: str | None = None
