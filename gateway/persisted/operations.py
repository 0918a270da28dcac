"""Operations as a safelist stores them: one operation with the fragments it uses.

A safelist entry is one operation, however the client spells the document it sends: a
manifest body, or one operation cut out of a ``.graphql`` file of several. Its *canonical
text* is that operation printed by graphql-core followed by the fragments it uses (directly
or through other fragments) sorted by name, so formatting, comments, and fragment order
never matter; its canonical hash is the SHA-256 of that text. A full-text request from a
safelist-only app is matched by the canonical hash of the operation it selects.
"""

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from gateway.persisted.extension import sha256_hex

MAX_TOKENS = 20_000
"""Parsing stops beyond this many tokens: safelisted operations are written by people."""


class OperationTextError(ValueError):
    """A text that does not parse, or has no operation of the asked name."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation ready to be safelisted."""

    name: str | None
    type: str
    """``query``, ``mutation`` or ``subscription``."""
    canonical: str
    """The operation and its fragments, printed (see the module docstring)."""

    @property
    def canonical_hash(self) -> str:
        return sha256_hex(self.canonical)


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: object) -> None:
        self.names.add(node.name.value)


def _spreads(node: Node) -> set[str]:
    visitor = _Spreads()
    visit(node, visitor)
    return visitor.names


def parse_document(text: str) -> DocumentNode:
    try:
        return parse(text, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        raise OperationTextError(f"does not parse: {exc.message}") from exc


def operations_of(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def select(document: DocumentNode, name: str | None) -> Operation:
    """The operation ``name`` of ``document`` (None: its only one), with its fragments."""
    operations = operations_of(document)
    if name is None:
        if len(operations) != 1:
            raise OperationTextError(f"has {len(operations)} operations: name the one to run")
        chosen = operations[0]
    else:
        found = [op for op in operations if op.name and op.name.value == name]
        if not found:
            raise OperationTextError(f"has no operation named {name!r}")
        chosen = found[0]
    return _with_fragments(document, chosen)


def _with_fragments(document: DocumentNode, operation: OperationDefinitionNode) -> Operation:
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    used: set[str] = set()
    pending = _spreads(operation)
    while pending:
        name = pending.pop()
        if name in used:
            continue
        if name not in fragments:
            raise OperationTextError(f"uses fragment {name!r}, which it does not define")
        used.add(name)
        pending |= _spreads(fragments[name]) - used
    parts = [operation, *(fragments[name] for name in sorted(used))]
    canonical = "\n\n".join(print_ast(part) for part in parts)
    return Operation(operation.name.value if operation.name else None,
                     operation.operation.value, canonical)
