"""Query plan nodes: Fetch, Flatten, Sequence, Parallel; immutable, with text and JSON forms.

A plan is built once per operation and cached; executing it never changes it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode


@dataclass(frozen=True, slots=True)
class InputField:
    """One field copied from a response object into a representation.

    ``key`` is where the value sits in the response (an alias for planner-added fields with
    arguments), ``name`` what the representation calls it.
    """

    name: str
    key: str
    children: tuple["InputField", ...] | None = None


@dataclass(frozen=True, slots=True)
class EntityInputSpec:
    """How objects of one response typename become representations for a fetch.

    ``lone_key`` is set when a representation is the typename and one key field copied as
    it is (``{__typename, id}``, the usual entity key): the executor's fast path.
    """

    typename: str
    fields: tuple[InputField, ...]
    key_names: tuple[str, ...]
    lone_key: str | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.fields) == 1:
            only = self.fields[0]
            if only.children is None and only.key == only.name and self.key_names == (only.name,):
                object.__setattr__(self, "lone_key", only.name)


@dataclass(frozen=True, slots=True)
class ContextRewrite:
    """A ``@fromContext`` value of an entity fetch: variable ``variable`` takes ``fields``
    of the object ``levels`` objects above each entity (lists don't count as levels)."""

    variable: str
    levels: int
    fields: tuple[InputField, ...]


@dataclass(frozen=True, slots=True)
class Rename:
    """In a fetch's answer, objects of ``typename`` at ``path`` hold ``key`` under ``alias``."""

    path: tuple[str, ...]
    typename: str
    alias: str
    key: str


@dataclass(frozen=True, slots=True)
class Fetch:
    """One request to one subgraph; ``inputs`` is set for ``_entities`` fetches.

    ``condition`` lists ``(variable, include_when)`` pairs that must all hold for the fetch
    to be sent (its whole selection is under those ``@include``/``@skip``); ``contexts`` are
    the ``@fromContext`` values an entity fetch passes as variables.
    """

    id: int
    subgraph: str
    operation: str
    document: DocumentNode = field(repr=False, compare=False)
    operation_name: str | None
    variable_names: tuple[str, ...]
    inputs: Mapping[str, EntityInputSpec] | None = None
    renames: tuple[Rename, ...] = ()
    condition: tuple[tuple[str, bool], ...] = ()
    contexts: tuple[ContextRewrite, ...] = ()

    kind = "Fetch"


@dataclass(frozen=True, slots=True)
class Flatten:
    """Run ``node`` for the objects found at ``path`` (``@`` = each list item, ``|[T]`` = type)."""

    path: tuple[str, ...]
    node: Fetch

    kind = "Flatten"


@dataclass(frozen=True, slots=True)
class Sequence:
    nodes: tuple["PlanNode", ...]

    kind = "Sequence"


@dataclass(frozen=True, slots=True)
class Parallel:
    nodes: tuple["PlanNode", ...]

    kind = "Parallel"


PlanNode = Fetch | Flatten | Sequence | Parallel


@dataclass(frozen=True, eq=False)
class QueryPlan:
    """A planned operation: the fetch tree plus what the executor needs to shape the response."""

    node: PlanNode | None
    shape: Any = field(repr=False)
    operation_kind: str = "query"
    variable_defaults: Mapping[str, Any] = field(default_factory=dict)
    introspection: DocumentNode | None = field(default=None, repr=False)

    def to_text(self) -> str:
        from .printing import plan_to_text

        return plan_to_text(self)

    def to_json(self) -> dict[str, Any]:
        from .printing import plan_to_json

        return plan_to_json(self)
