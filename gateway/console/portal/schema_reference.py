"""The schema reference: the composed graph's own descriptions, grouped by the subgraph
(domain) that owns each part, so a developer reads "orders" or "marketing" as a unit.

Ownership comes from the supergraph's ``join__`` data: a root field (query, mutation,
subscription) belongs to the subgraph that resolves it; an object or interface type to the
subgraph resolving most of its fields (an entity's home, not the ones extending it); an enum,
input or scalar defined by one subgraph to that one, and one several define to "shared". Only
what the API schema shows is listed (no federation internals). Rendered once per supergraph
version.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
)
from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import esc, page
from gateway.console.visit import ConsoleSetup, Visit
from gateway.federation import Supergraph

PATH = "/console/schema"
SHARED = "shared"
ROOTS = ("Query", "Mutation", "Subscription")


def _owner(supergraph: Supergraph, name: str) -> str:
    model = supergraph.types.get(name)
    if model is None:
        return SHARED
    counts = Counter(resolver for field in model.fields.values()
                     for resolver in field.resolvers[:1])
    if counts:
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
    graphs = list(model.graphs)
    return graphs[0] if len(graphs) == 1 else SHARED


def _description(text: str | None) -> str:
    return f'<p class="muted">{esc(text)}</p>' if text else ""


def _args(args: dict[str, GraphQLArgument]) -> str:
    if not args:
        return ""
    return "(" + ", ".join(f"{esc(name)}: {esc(arg.type)}" for name, arg in args.items()) + ")"


def _field(name: str, field: GraphQLField, badge: str = "") -> str:
    deprecated = (f' <span class="badge bad">deprecated: {esc(field.deprecation_reason)}</span>'
                  if field.deprecation_reason else "")
    return (f"<dt>{badge}{esc(name)}{_args(field.args)}: {esc(field.type)}{deprecated}</dt>"
            f"<dd>{esc(field.description or '')}</dd>")


def _members(named: GraphQLNamedType) -> str:
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return "".join(_field(n, f) for n, f in named.fields.items())
    if isinstance(named, GraphQLInputObjectType):
        return "".join(f"<dt>{esc(n)}: {esc(f.type)}</dt><dd>{esc(f.description or '')}</dd>"
                       for n, f in named.fields.items())
    if isinstance(named, GraphQLEnumType):
        return "".join(f"<dt>{esc(n)}</dt><dd>{esc(v.description or '')}</dd>"
                       for n, v in named.values.items())
    if isinstance(named, GraphQLUnionType):
        return "".join(f"<dt>{esc(t.name)}</dt><dd></dd>" for t in named.types)
    return ""


def _kind(named: GraphQLNamedType) -> str:
    return type(named).__name__.removeprefix("GraphQL").removesuffix("Type").lower()


@lru_cache(maxsize=4)
def reference_html(supergraph: Supergraph) -> str:
    """The reference's body for one supergraph (cached: a graph version never changes)."""
    schema = supergraph.api_schema
    roots: dict[str, list[str]] = defaultdict(list)
    types: dict[str, list[str]] = defaultdict(list)
    for root_name in ROOTS:
        root = schema.get_type(root_name)
        if not isinstance(root, GraphQLObjectType):
            continue
        for name, field in root.fields.items():
            model = supergraph.field(root_name, name)
            owner = model.resolvers[0] if model and model.resolvers else SHARED
            roots[owner].append(_field(
                name, field, f'<span class="badge">{root_name.lower()}</span> '))
    for name, named in sorted(schema.type_map.items()):
        if name.startswith("__") or name in ROOTS or name in {"String", "Int", "Float",
                                                             "Boolean", "ID"}:
            continue
        types[_owner(supergraph, name)].append(
            f'<details id="type-{esc(name)}"><summary><code>{esc(name)}</code> '
            f'<span class="muted">{_kind(named)}</span></summary>'
            f'{_description(named.description)}<dl class="fields">{_members(named)}</dl>'
            f'</details>')
    domains = sorted(set(roots) | set(types), key=lambda d: (d == SHARED, d))
    toc = "".join(f'<li><a href="#domain-{esc(d)}">{esc(d)}</a></li>' for d in domains)
    sections = "".join(
        f'<section aria-labelledby="domain-{esc(d)}"><h2 id="domain-{esc(d)}">{esc(d)}</h2>'
        + (f'<h3>Operations</h3><dl class="fields">{"".join(roots[d])}</dl>' if roots[d] else "")
        + (f'<h3>Types</h3>{"".join(types[d])}' if types[d] else "") + "</section>"
        for d in domains)
    return (f'<nav aria-label="Domains"><ul>{toc}</ul></nav>{sections}')


async def _reference(visit: Visit) -> Response:
    html = ("<h1>Schema reference</h1><p>The composed graph, by the domain (subgraph) that "
            "owns each operation and type, with the schema's own descriptions.</p>"
            + reference_html(visit.setup.supergraph()))
    return page("Schema reference", html, session=visit.session, current=PATH)


def schema_routes(setup: ConsoleSetup) -> list[Route]:
    return [Route(PATH, console_page(setup, _reference, roles=("admin", "developer")),
                  methods=["GET"])]
