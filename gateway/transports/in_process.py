"""A subgraph in the gateway's own process: its graphql-core schema executed directly.

The fetch's document was parsed once when the plan was made, so nothing is parsed or
serialized here: the executor gets the subgraph's result objects as they are. Each document
is validated once against the subgraph schema (plans are cached, so their documents recur),
which keeps a planner bug from reaching resolvers with an invalid operation. A value a scalar
refused as BAD_USER_INPUT gets its place in the input as ``extensions.field``
(:mod:`schema.kernel.input_errors`), since the subgraph document's locations mean nothing to
the client.

The operation's time budget bounds the subgraph's work, not only the gateway's wait: the
executor cancels this coroutine at the deadline (and with it the resolver tasks graphql-core
gathers), and the resolvers run inside ``pymongo.timeout(<the time left>)``, PyMongo's
client-side operation timeout. That one is a context variable, inherited by every task the
resolvers start (data loaders included); each database command then carries ``maxTimeMS``,
so the server stops a long query itself, and no command starts once the budget is spent
(a resolver that ignores its cancellation gets PyMongo timeout errors instead of data).
"""

from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from inspect import isawaitable
from typing import Any

import pymongo
from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, execute, validate

from gateway.transports.base import SubgraphRequest
from schema.kernel.input_errors import locate_input_errors

ContextFactory = Callable[[Mapping[str, Any]], Any]

_VALIDATED_DOCUMENTS = 2048


class InProcessTransport:
    """Executes subgraph requests on a graphql-core schema (for Strawberry: ``schema._schema``).

    ``context_factory`` turns the request's gateway context (principal, request metadata)
    into the subgraph's own context value, e.g. a Strawberry context with repositories.
    """

    def __init__(self, schema: GraphQLSchema, context_factory: ContextFactory = dict) -> None:
        self.schema = schema
        self._context_factory = context_factory
        self._validated: OrderedDict[int, tuple[DocumentNode, list[GraphQLError]]] = OrderedDict()

    @property
    def context_factory(self) -> ContextFactory:
        """How a request's gateway context becomes the subgraph's context (subscriptions
        start the subgraph's stream with it)."""
        return self._context_factory

    async def execute(self, request: SubgraphRequest) -> Mapping[str, Any]:
        errors = self._validation_errors(request.document)
        if errors:
            located = locate_input_errors(self.schema, request.document, request.variables, errors)
            return {"data": None, "errors": [error.formatted for error in located]}
        remaining = request.remaining()
        with pymongo.timeout(remaining) if remaining is not None else nullcontext():
            result = execute(
                self.schema,
                request.document,
                context_value=self._context_factory(request.context),
                variable_values=dict(request.variables),
                operation_name=request.operation_name,
            )
            if isawaitable(result):
                result = await result
        if result.errors:
            result.errors = locate_input_errors(self.schema, request.document,
                                                request.variables, result.errors)
        return _response(result)

    def _validation_errors(self, document: DocumentNode) -> list[GraphQLError]:
        """Validation errors of ``document``, computed once per document object."""
        key = id(document)
        cached = self._validated.get(key)
        if cached is not None and cached[0] is document:
            return cached[1]
        errors = validate(self.schema, document)
        self._validated[key] = (document, errors)
        if len(self._validated) > _VALIDATED_DOCUMENTS:
            self._validated.popitem(last=False)
        return errors

    async def close(self) -> None:
        """Nothing to release: the schema belongs to its subgraph package."""


def _response(result: ExecutionResult) -> dict[str, Any]:
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    return response
