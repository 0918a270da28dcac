"""Running a query plan: fetches in order, in parallel where the plan allows, merged in place."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from graphql import execute_sync

from ...transports.base import SubgraphRequest, SubgraphUnavailable
from ..plan import Fetch, Flatten, PlanNode, QueryPlan, Sequence
from .complete import complete_root
from .contextual import batch_errors, batched_operation
from .entities import (
    apply_renames,
    collect,
    context_batches,
    merge,
    merge_entities,
    representations,
    response_paths,
)
from .errors import entity_errors, root_errors, timeout_error, unavailable_error
from .violations import first_violation

FetchFunction = Callable[[SubgraphRequest], Awaitable[Mapping[str, Any]]]

CANCEL_GRACE_S = 1.0
"""How long past the deadline a fetch may take to end by itself before it is cancelled.

A transport bounds its own work with the request's deadline (the in-process one runs the
resolvers under ``pymongo.timeout``; HTTP under the time left), so fetches normally end at the
deadline with timeout errors, and their database work stops with them. Cancellation stays,
a second later, for a fetch that ignores its budget. Cancelling at the deadline itself used
to lock PyMongo's connection pool on Python 3.11 (a cancellation meeting the pool wait's own
timeout); :mod:`schema.kernel.pool_wait` removes that race, and the grace keeps the common
case free of cancellations all the same."""


class _Run:
    """The state of one execution: the merged data tree and the errors so far."""

    __slots__ = ("context", "data", "deadline", "errors", "fetch", "variables")

    def __init__(
        self,
        fetch: FetchFunction,
        variables: Mapping[str, Any],
        context: Mapping[str, Any],
        deadline: float | None,
    ) -> None:
        self.fetch = fetch
        self.deadline = deadline
        self.variables = variables
        self.context = context
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []

    async def node(self, node: PlanNode) -> None:
        if isinstance(node, Fetch):
            await self.root_fetch(node)
        elif isinstance(node, Flatten):
            await self.entity_fetch(node)
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self.node(child)
        else:
            await self.parallel(node.nodes)

    async def parallel(self, nodes: tuple[PlanNode, ...]) -> None:
        """Run ``nodes`` side by side: the first in this task, a task for each other one."""
        others = [asyncio.ensure_future(self.node(child)) for child in nodes[1:]]
        try:
            await self.node(nodes[0])
        except BaseException:  # cancelled (the plan's grace ran out): so are the others
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            raise
        if others:
            await asyncio.gather(*others)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def excluded(self, fetch: Fetch) -> bool:
        return any(
            (self.variables.get(name) is True) != include for name, include in fetch.condition
        )

    async def request(self, fetch: Fetch, variables: Mapping[str, Any]) -> Mapping[str, Any] | None:
        request = SubgraphRequest(
            subgraph=fetch.subgraph,
            query=fetch.operation,
            document=fetch.document,
            variables=variables,
            operation_name=fetch.operation_name,
            context=self.context,
            deadline=self.deadline,
        )
        try:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                raise TimeoutError
            response = await self.fetch(request)
        except asyncio.CancelledError:
            if self.out_of_time():  # the execution's grace ran out (see execute_plan)
                self.errors.append(timeout_error(fetch.subgraph))
            raise
        except TimeoutError:
            self.errors.append(timeout_error(fetch.subgraph))
            return None
        except SubgraphUnavailable as error:
            if self.out_of_time():  # the transport's own timeout was the time budget's
                self.errors.append(timeout_error(fetch.subgraph))
            else:
                self.errors.append(unavailable_error(fetch.subgraph, str(error)))
            return None
        except Exception as error:  # a transport bug must not fail the whole response
            self.errors.append(
                unavailable_error(fetch.subgraph, f"{type(error).__name__}: {error}")
            )
            return None
        if not isinstance(response, Mapping):
            self.errors.append(unavailable_error(fetch.subgraph, "not a GraphQL response"))
            return None
        if self.out_of_time():  # its resolvers ended on the budget's database timeouts
            self.errors.append(timeout_error(fetch.subgraph))
            return None
        return response

    async def root_fetch(self, fetch: Fetch) -> None:
        if fetch.condition and self.excluded(fetch):
            return
        response = await self.request(fetch, self.fetch_variables(fetch))
        if response is None:
            return
        self.errors.extend(root_errors(response.get("errors"), fetch.subgraph))
        data = response.get("data")
        if isinstance(data, dict):
            if fetch.renames:
                apply_renames(data, fetch.renames)
            merge(self.data, data)

    async def entity_fetch(self, node: Flatten) -> None:
        fetch = node.node
        if fetch.condition and self.excluded(fetch):
            return
        if fetch.contexts:
            await self.contextual_fetch(node)
            return
        reps, targets = representations(collect(self.data, node.path), fetch.inputs or {})
        if reps:
            await self.send(node, reps, targets, None)

    def fetch_variables(self, fetch: Fetch) -> dict[str, Any]:
        if not fetch.variable_names:
            return {}
        return {
            name: self.variables[name] for name in fetch.variable_names if name in self.variables
        }

    async def send(
        self,
        node: Flatten,
        reps: list[dict[str, Any]],
        targets: list[list[dict[str, Any]]],
        extra: Mapping[str, Any] | None,
    ) -> None:
        """One ``_entities`` call; ``extra`` holds the fetch's ``@fromContext`` values."""
        fetch = node.node
        variables = self.fetch_variables(fetch)
        if extra:
            variables.update(extra)
        variables["representations"] = reps
        response = await self.request(fetch, variables)
        if response is None:
            return
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        self.absorb(node, response.get("errors"), entities, targets)

    async def contextual_fetch(self, node: Flatten) -> None:
        """Entities grouped by their context values; several groups share one request."""
        fetch = node.node
        batches = []
        for values, objects in context_batches(self.data, node.path, fetch.contexts):
            reps, targets = representations(objects, fetch.inputs or {})
            if reps:
                batches.append((values, reps, targets))
        if len(batches) == 1:
            values, reps, targets = batches[0]
            await self.send(node, reps, targets, values)
            return
        if not batches:
            return
        query, document = batched_operation(fetch, len(batches))
        variables = self.fetch_variables(fetch)
        for index, (values, reps, _) in enumerate(batches):
            variables[f"representations_{index}"] = reps
            variables.update({f"{name}_{index}": value for name, value in values.items()})
        batched = replace(fetch, operation=query, document=document)
        response = await self.request(batched, variables)
        if response is None:
            return
        data = response.get("data")
        errors = batch_errors(response.get("errors"), len(batches))
        for index, (_, _, targets) in enumerate(batches):
            entities = data.get(f"_{index}") if isinstance(data, dict) else None
            self.absorb(node, errors[index], entities, targets)

    def absorb(
        self, node: Flatten, errors: Any, entities: Any, targets: list[list[dict[str, Any]]]
    ) -> None:
        """Merge an ``_entities`` answer into the objects it stands for; rewrite its errors."""
        fetch = node.node
        if errors:
            paths = response_paths(self.data, node.path)
            self.errors.extend(entity_errors(errors, targets, paths, fetch.subgraph))
        if not isinstance(entities, list):
            return
        if fetch.renames:
            apply_renames(entities, fetch.renames)
        merge_entities(entities, targets)


def with_defaults(plan: QueryPlan, variables: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(plan.variable_defaults)
    merged.update(variables)
    return merged


async def execute_plan(
    plan: QueryPlan,
    variables: Mapping[str, Any],
    fetch: FetchFunction,
    *,
    context: Mapping[str, Any] | None = None,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Run ``plan`` and return the client response (``errors`` only when there are some).

    Subgraph failures never raise: they become errors next to whatever data could be had.
    ``deadline`` (a ``time.monotonic()`` instant) bounds every fetch: a fetch that would
    start after it is not sent, and the fetches still running ``CANCEL_GRACE_S`` past it are
    cancelled together (the task running the subgraph's resolvers included), each with a
    ``GATEWAY_TIMEOUT`` error, and the partial data is returned. Each request carries the
    deadline, so a transport also bounds the work it started (normally ending it at the
    deadline with a timeout error of its own).
    """
    values = with_defaults(plan, variables)
    run = _Run(fetch, values, context or {}, deadline)
    if plan.node is not None:
        if deadline is None:
            await run.node(plan.node)
        else:
            try:  # one timer for the whole plan, not one per fetch (each costs several µs)
                async with asyncio.timeout(deadline - time.monotonic() + CANCEL_GRACE_S):
                    await run.node(plan.node)
            except TimeoutError:
                pass  # each fetch it cut short has said so (_Run.request)
    if plan.introspection is not None:
        _introspect(plan, values, run)
    bubbled: list[bool] = []
    data = complete_root(plan.shape, run.data, values, bubbled)
    if bubbled and not run.errors:
        violation = first_violation(plan.shape, run.data, values)
        if violation is not None:
            run.errors.append(violation)
    response: dict[str, Any] = {"data": data}
    if run.errors:
        response["errors"] = run.errors
    return response


def _introspect(plan: QueryPlan, variables: Mapping[str, Any], run: _Run) -> None:
    result = execute_sync(plan.shape.compiler.schema, plan.introspection, variable_values=variables)  # type: ignore[arg-type]
    if result.errors:
        run.errors.extend(error.formatted for error in result.errors)
    if result.data:
        run.data.update(result.data)
