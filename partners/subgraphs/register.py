"""Registering, re-registering and removing a partner subgraph.

A registration checks the name and the URL, fetches the SDL (``partners.subgraphs.fetch``)
and then, in the database's composition turn (``partners.subgraphs.turn``): holds the SDL to
the platform's rules (``partners.subgraphs.rules``), composes it with the platform and the
other ACTIVE subgraphs, and, for a re-registration, refuses a change that breaks what the
previous version contributed (its own types and the fields it resolves). On success the
subgraph is stored ACTIVE and the graph published (every gateway on the database
hot-reloads it); ``supergraphVersion`` is the version that serves it.

What is refused and what is kept:

- a bad name or URL, a name another partner holds, an SDL that cannot be fetched (timeout,
  HTTP error, not JSON, no SDL): user errors, nothing stored;
- an SDL breaking a rule, failing composition, or breaking the previous version: user errors
  carrying the codes (composition's own, ``SHADOWS_PLATFORM_FIELD`` …, or
  ``BREAKING_CHANGE``), and the subgraph stored with those ``errors``: a first registration
  as ``REJECTED`` (never in the graph), a re-registration of an ACTIVE subgraph stays ACTIVE
  with its previous SDL and URL, still served, the refusal in ``errors``.

A subgraph whose data lives in the sandbox is registered by a sandbox app in the sandbox
database: the caller's database is the ``db`` given here.
"""

import re
from dataclasses import dataclass, replace
from functools import cache

from graphql import DocumentNode
from pymongo.asynchronous.database import AsyncDatabase

from gateway.compose import breaking_changes
from gateway.compose.breaking import BreakingChange
from partners.subgraphs.fetch import SdlUnavailable, check_subgraph_url, fetch_sdl
from partners.subgraphs.graph import (
    ComposedGraph,
    compose_with,
    platform_names,
    platform_sources,
    publish_composed,
)
from partners.subgraphs.records import (
    Status,
    SubgraphRecord,
    active_subgraphs,
    get_subgraph,
    named,
    partner_subgraphs,
    save,
)
from partners.subgraphs.rules import PlatformShape, contributions, parse_sdl, violations
from partners.subgraphs.turn import GraphBusy, graph_turn
from partners.urls import NetworkPolicy, UnsafeUrl
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import InvalidId, new_id, parse_id
from schema.kernel.time import utcnow

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_SUBGRAPHS_PER_PARTNER = 10
NAME_FIELD = ("input", "name")
URL_FIELD = ("input", "url")
ID_FIELD = ("subgraphId",)
BREAKING_CHANGE = "BREAKING_CHANGE"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The subgraph as stored after the call (None when nothing was) and the user errors."""

    subgraph: SubgraphRecord | None
    errors: tuple[UserError, ...] = ()


@cache
def platform_shape() -> PlatformShape:
    return PlatformShape.of(source.sdl for source in platform_sources())


def _refused(code: UserErrorCode, message: str, field: tuple[str, ...]) -> Outcome:
    return Outcome(None, (UserError(code, message, field),))


def name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        return ("a subgraph name is 2 to 40 characters: a lowercase letter, then lowercase "
                "letters, digits or _")
    if name in platform_names():
        return f'"{name}" is the name of a platform subgraph'
    return None


async def register_subgraph(db: AsyncDatabase, partner_id: str, name: str, url: str, *,
                            policy: NetworkPolicy | None = None,
                            fetch_timeout_s: float | None = None) -> Outcome:
    """Register ``name`` at ``url`` for ``partner_id`` in ``db`` (or re-register it)."""
    problem = name_problem(name)
    if problem is not None:
        return _refused(UserErrorCode.INVALID, problem, NAME_FIELD)
    policy = policy or NetworkPolicy.from_env()
    try:
        await check_subgraph_url(url, policy)
    except UnsafeUrl as exc:
        return _refused(UserErrorCode.INVALID, str(exc), URL_FIELD)
    refused = await _name_refused(db, partner_id, name)
    if refused is not None:
        return refused
    try:
        sdl = await fetch_sdl(url, policy, fetch_timeout_s)
    except (SdlUnavailable, UnsafeUrl) as exc:
        return _refused(UserErrorCode.INVALID, str(exc), URL_FIELD)
    try:
        async with graph_turn(db):
            return await _register_in_turn(db, partner_id, name, url, sdl)
    except GraphBusy as exc:
        return _refused(UserErrorCode.CONFLICT, str(exc), NAME_FIELD)


async def _name_refused(db: AsyncDatabase, partner_id: str, name: str) -> Outcome | None:
    holder = await named(db, name)
    if holder is not None and holder.partner_id != partner_id:
        return _refused(UserErrorCode.CONFLICT,
                        f'the subgraph name "{name}" is taken by another partner', NAME_FIELD)
    if holder is None:
        kept = [r for r in await partner_subgraphs(db, partner_id)
                if r.status is not Status.REMOVED]
        if len(kept) >= MAX_SUBGRAPHS_PER_PARTNER:
            return _refused(UserErrorCode.INVALID, f"a partner has at most "
                            f"{MAX_SUBGRAPHS_PER_PARTNER} subgraphs; remove one first",
                            NAME_FIELD)
    return None


async def _register_in_turn(db: AsyncDatabase, partner_id: str, name: str, url: str,
                            sdl: str) -> Outcome:
    refused = await _name_refused(db, partner_id, name)
    if refused is not None:
        return refused
    existing = await named(db, name)
    now = utcnow()
    candidate = SubgraphRecord(
        id=existing.id if existing else new_id("sgr"), partner_id=partner_id, name=name,
        url=url, sdl=sdl, status=Status.ACTIVE, errors=(), supergraph_version=None,
        created_at=existing.created_at if existing else now, updated_at=now)
    active = [r for r in await active_subgraphs(db) if r.name != name]
    previous = existing if existing is not None and existing.status is Status.ACTIVE else None
    composed, problems = _check(candidate, active, previous)
    if problems:
        stored = replace(previous, errors=tuple(problems), updated_at=now) if previous \
            else replace(candidate, status=Status.REJECTED, errors=tuple(problems))
        await save(db, stored)
        return Outcome(stored, tuple(UserError(UserErrorCode.INVALID, p, ("input",))
                                     for p in problems))
    assert composed is not None
    await save(db, candidate)
    version = await publish_composed(db, composed)
    return Outcome(await save(db, replace(candidate, supergraph_version=version.version)))


def _check(candidate: SubgraphRecord, active: list[SubgraphRecord],
           previous: SubgraphRecord | None) -> tuple[ComposedGraph | None, list[str]]:
    """The graph with ``candidate`` in it, or why it may not be: rule violations,
    composition errors, or breaking changes to what ``previous`` contributed."""
    document = parse_sdl(candidate.sdl)
    if not isinstance(document, DocumentNode):
        return None, [str(document)]
    broken = violations(document, platform_shape())
    if broken:
        return None, [str(v) for v in broken]
    composed = compose_with(sorted([*active, candidate], key=lambda r: r.name))
    if not composed.ok:
        return None, [f"{e.code}: {e.message}" for e in composed.errors]
    if previous is not None:
        before = compose_with(sorted([*active, previous], key=lambda r: r.name))
        if before.supergraph_sdl is not None and composed.supergraph_sdl is not None:
            changes = contributed_breaking_changes(previous, before.supergraph_sdl,
                                                   composed.supergraph_sdl)
            if changes:
                return None, [f"{BREAKING_CHANGE} {c.code}: {c.message}" for c in changes]
    return composed, []


def contributed_breaking_changes(previous: SubgraphRecord, before_sdl: str,
                                 after_sdl: str) -> list[BreakingChange]:
    """Breaking changes from ``before_sdl`` to ``after_sdl`` (API schemas) among the types
    and fields ``previous`` contributed: the changes its re-registration would make."""
    document = parse_sdl(previous.sdl)
    if not isinstance(document, DocumentNode):
        return []
    types, fields = contributions(document, platform_shape())

    def touched(coordinate: str) -> bool:
        element = coordinate.split("(", 1)[0]
        return element.split(".", 1)[0] in types or element in fields

    return [c for c in breaking_changes(before_sdl, after_sdl) if touched(c.coordinate)]


async def remove_subgraph(db: AsyncDatabase, partner_id: str | None,
                          subgraph_id: object) -> Outcome:
    """Take a partner's subgraph out of the graph (status REMOVED; its name is free again).

    ``partner_id`` None is the operator (``loopgate subgraphs remove``): any partner's."""
    try:
        wanted = parse_id(subgraph_id, "sgr")
    except InvalidId as exc:
        return _refused(UserErrorCode.INVALID, str(exc), ID_FIELD)
    try:
        async with graph_turn(db):
            return await _remove_in_turn(db, partner_id, wanted)
    except GraphBusy as exc:
        return _refused(UserErrorCode.CONFLICT, str(exc), ID_FIELD)


async def _remove_in_turn(db: AsyncDatabase, partner_id: str | None,
                          subgraph_id: str) -> Outcome:
    record = await get_subgraph(db, subgraph_id)
    if record is None or partner_id not in (None, record.partner_id):
        return _refused(UserErrorCode.NOT_FOUND, "no such subgraph", ID_FIELD)
    if record.status is Status.REMOVED:
        return Outcome(record)
    removed = replace(record, status=Status.REMOVED, updated_at=utcnow())
    if record.status is not Status.ACTIVE:
        return Outcome(await save(db, removed))
    composed = compose_with([r for r in await active_subgraphs(db) if r.id != record.id])
    if not composed.ok:
        return Outcome(record, tuple(
            UserError(UserErrorCode.INVALID, f"the graph without {record.name} does not compose "
                      f"(another subgraph relies on it): {e.code}: {e.message}", ID_FIELD)
            for e in composed.errors))
    await save(db, removed)
    version = await publish_composed(db, composed)
    return Outcome(await save(db, replace(removed, supergraph_version=version.version)))
