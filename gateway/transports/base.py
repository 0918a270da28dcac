"""The contract between the executor and a subgraph transport.

The executor builds one :class:`SubgraphRequest` per fetch and awaits
:meth:`Transport.execute`; the transport returns the subgraph's GraphQL response as a plain
``{"data": …, "errors": […]}`` mapping, or raises :class:`SubgraphUnavailable` when no
response could be had (connection refused, timeout, non-GraphQL reply). The planner and the
executor never know which transport they talk to.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import DocumentNode, OperationDefinitionNode, OperationType


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    """One fetch of a query plan, addressed to one subgraph.

    ``document`` is the parsed form of ``query``, built once when the plan is made, so an
    in-process transport never parses; an HTTP transport sends ``query``.
    ``context`` carries the caller's verified principal and request metadata.
    ``deadline`` (a ``time.monotonic()`` instant) is when the operation's time budget runs
    out: transports stop the subgraph's work then, not only the wait for it.
    """

    subgraph: str
    query: str
    document: DocumentNode
    variables: Mapping[str, Any]
    operation_name: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    deadline: float | None = None

    def remaining(self) -> float | None:
        """Seconds left of the time budget (never below a millisecond), None without one."""
        if self.deadline is None:
            return None
        return max(self.deadline - time.monotonic(), 0.001)


_QUERY_KINDS: dict[tuple[int, str | None], tuple[DocumentNode, bool]] = {}
_QUERY_KINDS_MAX = 4096


def is_query(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation ``document`` runs (``operation_name``'s, else its first) is a
    query (entity fetches of a query included): only those may be retried or merged.

    Asked twice per subgraph fetch (retries, dedup) of documents a cached plan reuses, so
    the answer is kept per document (the entry holds the document, so its id is not reused
    while there; the table is emptied when full)."""
    key = (id(document), operation_name)
    known = _QUERY_KINDS.get(key)
    if known is not None and known[0] is document:
        return known[1]
    answer = False
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
                operation_name is None
                or (definition.name is not None and definition.name.value == operation_name)):
            answer = definition.operation is OperationType.QUERY
            break
    if len(_QUERY_KINDS) >= _QUERY_KINDS_MAX:
        _QUERY_KINDS.clear()
    _QUERY_KINDS[key] = (document, answer)
    return answer


class SubgraphUnavailable(Exception):
    """No GraphQL response could be obtained from a subgraph; the message says why."""

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(f"subgraph '{subgraph}' unavailable: {reason}")
        self.subgraph = subgraph
        self.reason = reason


class Transport(Protocol):
    """Executes subgraph requests for one subgraph."""

    async def execute(self, request: SubgraphRequest) -> Mapping[str, Any]: ...

    async def close(self) -> None: ...
