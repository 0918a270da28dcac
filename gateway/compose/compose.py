"""``compose_supergraph``: subgraph SDLs in, Apollo-format supergraph SDL (or errors) out.

Stages: load (parse, normalise, check each subgraph) → merge → satisfiability → print.
Each stage only runs when the one before it found no error, as Apollo's composition does.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.compose import errors
from gateway.compose.checks import check_field_sets
from gateway.compose.errors import CompositionError
from gateway.compose.federation1 import upgrade_problems
from gateway.compose.loader import load_subgraph
from gateway.compose.merge import merge_subgraphs, new_state
from gateway.compose.model import Subgraph
from gateway.compose.printer import print_supergraph
from gateway.compose.satisfiability import check_satisfiability
from gateway.compose.source import SubgraphSource


@dataclass(frozen=True)
class CompositionResult:
    """Either ``supergraph_sdl`` (composition succeeded) or a non-empty ``errors``."""

    supergraph_sdl: str | None
    errors: list[CompositionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None


def compose_supergraph(subgraphs: Sequence[SubgraphSource]) -> CompositionResult:
    loaded, problems = _load_all(subgraphs)
    if problems:
        return CompositionResult(None, problems)
    state = new_state(loaded)
    merge_subgraphs(state)
    if state.errors:
        return CompositionResult(None, state.errors)
    problems = check_satisfiability(state.supergraph, loaded)
    if problems:
        return CompositionResult(None, problems)
    return CompositionResult(print_supergraph(state.supergraph))


def _load_all(sources: Sequence[SubgraphSource]) -> tuple[list[Subgraph], list[CompositionError]]:
    """Load and check every subgraph in Apollo's stages: parse and check federation 2
    subgraphs; only when all of that passes, upgrade the federation 1 ones (cross-subgraph
    upgrade checks) and check them in their upgraded form."""
    problems: list[CompositionError] = []
    loaded: list[Subgraph] = []
    seen: dict[str, SubgraphSource] = {}
    for source in sources:
        if source.name in seen:
            problems.append(CompositionError(
                errors.INVALID_SUBGRAPH_NAME,
                f'A subgraph named {source.name} already exists'
                + (f" (with url '{seen[source.name].url}')" if seen[source.name].url else ""),
                source.name, source.file,
                hint="give every subgraph a unique name"))
            continue
        if source.name in ("", "_"):
            problems.append(CompositionError(
                errors.INVALID_SUBGRAPH_NAME,
                f"Invalid name {source.name or '(empty)'} for a subgraph: this name is reserved",
                source.name, source.file, hint="name the subgraph after its domain, e.g. stores"))
            continue
        seen[source.name] = source
        subgraph, found = load_subgraph(source)
        problems += found
        if subgraph is not None:
            loaded.append(subgraph)
    if not sources:
        problems.append(CompositionError(errors.NO_QUERIES, "No subgraphs to compose.",
                                         hint="list at least one subgraph"))
    for subgraph in loaded:
        if subgraph.fed2:
            problems += check_field_sets(subgraph)
    if problems:
        return loaded, problems
    problems = upgrade_problems(loaded)
    refused = {p.subgraph for p in problems}
    for subgraph in loaded:
        if not subgraph.fed2 and subgraph.name not in refused:
            problems += check_field_sets(subgraph)
    return loaded, problems
