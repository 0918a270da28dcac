"""``@fromContext`` arguments: reading a field's context values from an enclosing object.

As Apollo Router does, a field with context arguments is fetched by an ``_entities`` call of
its own, made once the values exist: for each argument the planner finds the nearest
enclosing object (strictly above the field's parent) whose type sets the argument's context,
selects the context's fields there (jumping to other subgraphs as any selection would), and
passes the value found ``levels`` objects above each entity as a ``contextualArgument_*``
variable. Entities whose values differ get an ``_entities`` field each in one request
(:mod:`..executor.contextual`).
"""

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from graphql import ArgumentNode, NameNode, VariableNode, print_ast

from ..errors import PlanningError
from ..supergraph import ContextArgument
from .groups import ContextInput, FetchGroup
from .internal import add_input, internal_selections
from .operation import NField
from .position import Position
from .tree import SelectionTree

if TYPE_CHECKING:
    from .walk import Walker


@dataclass(frozen=True, slots=True)
class PlacedContext:
    """A context argument whose value the plan now selects ``levels`` objects up."""

    argument: ContextArgument
    levels: int


def place_contexts(
    walker: "Walker", pos: Position, field_name: str, arguments: tuple[ContextArgument, ...]
) -> tuple[list[PlacedContext], set[FetchGroup]]:
    """Select every argument's context fields on its enclosing object; return the placements
    and the fetches they landed in (the entity fetch must wait for them)."""
    placed: list[PlacedContext] = []
    deps: set[FetchGroup] = set()
    for argument in arguments:
        ancestor, levels = _ancestor(walker, pos, field_name, argument.context)
        plain = ancestor.at(conditions=(), requires_ok=False, context_ready=False)
        deps |= walker.place_tracked(plain, internal_selections(argument.selection))
        placed.append(PlacedContext(argument, levels))
    return placed, deps


def _ancestor(
    walker: "Walker", pos: Position, field_name: str, context: str
) -> tuple[Position, int]:
    types = walker.index.context_types.get(context, frozenset())
    ancestor, levels = pos.parent, 1
    while ancestor is not None:
        if ancestor.type_name in types:
            return ancestor, levels
        ancestor, levels = ancestor.parent, levels + 1
    raise PlanningError(
        f"no enclosing object sets the context {context!r} its arguments read",
        pos.type_name,
        field_name,
    )


def bind_contexts(group: FetchGroup, field: NField, placed: list[PlacedContext]) -> NField:
    """Register the values as variables of the entity fetch and pass them to the field."""
    arguments = list(field.arguments)
    for item in placed:
        variable = _variable(group, item)
        arguments.append(
            ArgumentNode(
                name=NameNode(value=item.argument.name),
                value=VariableNode(name=NameNode(value=variable)),
            )
        )
    return replace(field, arguments=tuple(arguments))


def _variable(group: FetchGroup, item: PlacedContext) -> str:
    """The fetch's variable for this value; one value read twice shares a variable."""
    signature = f"{item.levels}:{item.argument.type}:{print_ast(item.argument.selection)}"
    for existing in group.contexts:
        if existing.signature == signature:
            return existing.variable
    variable = f"contextualArgument_{group.id}_{len(group.contexts)}"
    fields = SelectionTree()
    add_input(fields, internal_selections(item.argument.selection))
    group.contexts.append(
        ContextInput(variable, item.argument.type, item.levels, fields, signature)
    )
    return variable
