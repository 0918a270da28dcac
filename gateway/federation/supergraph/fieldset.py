"""Parsing ``join__FieldSet`` strings (keys, requires, provides) into selection sets."""

from graphql import GraphQLError, SelectionSetNode, parse

from ..errors import SupergraphError


def parse_field_set(fields: str, where: str) -> SelectionSetNode:
    """Parse ``"id organization { id }"`` into a selection set, naming ``where`` on failure."""
    try:
        document = parse("{" + fields + "}", no_location=True)
    except GraphQLError as error:
        raise SupergraphError(f"invalid field set {fields!r}: {error.message}", where) from error
    return document.definitions[0].selection_set  # type: ignore[attr-defined]
