"""The limits stage of one supergraph: the checks in the order the service applies them.

1. :meth:`OperationGuard.check_text`: the query's size in bytes, before anything else;
2. :meth:`OperationGuard.parse`: parsing stops past the token limit;
3. :meth:`OperationGuard.check_shape`: depth, aliases and root fields, from the syntax alone,
   before validation (cached with the parsed document);
4. :meth:`OperationGuard.check_introspection`: per caller;
5. :meth:`OperationGuard.cost`: with the coerced variables, after validation (cached per
   operation when it has no variables).

Each refusal is raised before planning, so no subgraph is ever called for it.
"""

from collections.abc import Mapping

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSyntaxError,
    Lexer,
    OperationDefinitionNode,
    Source,
    TokenKind,
    parse,
)
from graphql.execution.values import VariableValues

from gateway.federation import Supergraph
from gateway.limits.cost import CostModel
from gateway.limits.directives import DemandDirectives
from gateway.limits.errors import over
from gateway.limits.introspection import check_introspection
from gateway.limits.measure import Shape
from gateway.limits.settings import OperationLimits


class OperationGuard:
    """Checks operations against ``limits``; built once per supergraph."""

    def __init__(self, limits: OperationLimits, supergraph: Supergraph) -> None:
        self.limits = limits
        self.costs = CostModel(supergraph.api_schema, DemandDirectives.read(supergraph.schema),
                               limits.list_size)

    def check_text(self, query: str) -> None:
        maximum = self.limits.document_bytes
        if len(query) * 4 <= maximum:  # UTF-8 takes at most 4 bytes a character
            return
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > maximum:
            raise over("documentBytes", size, maximum, f"a query of {size} bytes")

    def parse(self, query: str) -> DocumentNode:
        """The parsed document; GraphQLSyntaxError, or LimitExceeded past the token limit."""
        maximum = self.limits.tokens
        try:
            return parse(Source(query, "request"), max_tokens=maximum,
                         allow_empty_selection_sets=False)
        except GraphQLSyntaxError as error:
            if "tokens. Parsing aborted" not in error.message:
                raise
        tokens = _count_tokens(query)
        raise over("tokens", tokens, maximum, f"a query of {tokens} tokens")

    def check_shape(self, shape: Shape) -> None:
        limits = self.limits
        if shape.depth > limits.depth:
            raise over("depth", shape.depth, limits.depth, f"a depth of {shape.depth}")
        if shape.aliases > limits.aliases:
            raise over("aliases", shape.aliases, limits.aliases, f"{shape.aliases} aliases")
        if shape.root_fields > limits.root_fields:
            raise over("rootFields", shape.root_fields, limits.root_fields,
                       f"{shape.root_fields} root fields")

    def check_introspection(self, shape: Shape, authenticated: bool) -> None:
        if shape.introspection:
            check_introspection(self.limits.introspection, authenticated)

    def cost(self, operation: OperationDefinitionNode,
             fragments: Mapping[str, FragmentDefinitionNode],
             variables: VariableValues) -> int:
        """The operation's estimated cost; LimitExceeded over the ceiling."""
        cost = self.costs.estimate(operation, fragments, variables)
        if cost > self.limits.cost:
            raise over("cost", cost, self.limits.cost, f"an estimated cost of {cost}")
        return cost


def _count_tokens(query: str) -> int:
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind is not TokenKind.EOF:
            count += 1
    except GraphQLSyntaxError:
        pass
    return count
