"""``@join__graph``: the subgraphs of the supergraph, from the ``join__Graph`` enum."""

from graphql import GraphQLEnumType, GraphQLSchema

from ..errors import SupergraphError
from ._directives import applied
from .model import SubgraphInfo


def read_graphs(schema: GraphQLSchema, join: str) -> dict[str, SubgraphInfo]:
    """Map each ``join__Graph`` enum value to its subgraph (name and URL)."""
    enum = schema.type_map.get(f"{join}__Graph")
    if not isinstance(enum, GraphQLEnumType):
        raise SupergraphError("the supergraph declares no subgraphs", f"{join}__Graph")
    graphs: dict[str, SubgraphInfo] = {}
    for value_name, value in enum.values.items():
        found = list(applied([value.ast_node], f"{join}__graph"))
        if not found:
            raise SupergraphError("enum value lacks @join__graph", f"{join}__Graph.{value_name}")
        graphs[value_name] = SubgraphInfo(name=found[0]["name"], url=found[0].get("url") or "")
    return graphs
