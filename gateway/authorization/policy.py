"""The authorization policy of one supergraph: built once, asked per operation.

A field selection needs every requirement of: the field itself; when selected on an
interface, that field on every implementation (the runtime type is unknown at planning time,
as in Apollo Router); and the named type it returns. A fragment on a guarded type needs the
type's requirements.
"""

from __future__ import annotations

from functools import cache

from graphql import (
    DocumentNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from gateway.authorization.directives import DeclaredRequirements, read_requirements
from gateway.authorization.requirements import AuthShape, Requirement
from schema.kernel.principal import Principal


def _unique(requirements: list[Requirement]) -> tuple[Requirement, ...]:
    return tuple(dict.fromkeys(requirements))


class AuthorizationPolicy:
    """Requirements by coordinate over the API schema, and the caller's auth shape."""

    def __init__(self, declared: DeclaredRequirements, api_schema: GraphQLSchema) -> None:
        self.schema = api_schema
        self._declared = declared
        self.requirements: frozenset[Requirement] = frozenset(
            requirement for group in (*declared.types.values(), *declared.fields.values())
            for requirement in group)
        self.field_requirements = cache(self._field_requirements)

    @classmethod
    def from_supergraph(cls, supergraph: DocumentNode,
                        api_schema: GraphQLSchema) -> AuthorizationPolicy:
        return cls(read_requirements(supergraph), api_schema)

    @property
    def guarded(self) -> bool:
        """False when the supergraph declares no requirement at all (nothing to prune)."""
        return bool(self.requirements)

    def shape(self, principal: Principal | None) -> AuthShape:
        """The requirements ``principal`` satisfies: the plan-cache key part for auth."""
        return frozenset(r for r in self.requirements if r.satisfied_by(principal))

    def type_requirements(self, type_name: str) -> tuple[Requirement, ...]:
        return self._declared.types.get(type_name, ())

    def _field_requirements(self, parent: GraphQLNamedType,
                            field_name: str) -> tuple[Requirement, ...]:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return ()
        definition = parent.fields.get(field_name)
        if definition is None:
            return ()
        found = list(self._declared.fields.get((parent.name, field_name), ()))
        if isinstance(parent, GraphQLInterfaceType):
            for implementation in self.schema.get_possible_types(parent):
                found.extend(self._declared.fields.get((implementation.name, field_name), ()))
        found.extend(self.type_requirements(get_named_type(definition.type).name))
        return _unique(found)
