"""Reading directive applications from SDL nodes, honouring ``@link(as:)`` renames."""

from collections.abc import Iterator
from typing import Any

from graphql import DirectiveNode, Node, value_from_ast_untyped

SPEC_PREFIX = "https://specs.apollo.dev/"


def applied(node_list: list[Node | None], name: str) -> Iterator[dict[str, Any]]:
    """Arguments of each application of directive ``name`` on the given definition nodes."""
    for node in node_list:
        if node is None:
            continue
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value == name:
                yield arguments(directive)


def arguments(directive: DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def directive_names(schema_nodes: list[Node | None]) -> dict[str, str]:
    """Map each linked spec (``join``, ``inaccessible``, ``tag``, ``requiresScopes``…) to the
    name its directives carry in this supergraph.

    Specs whose directives are imported (``import: ["@authenticated"]``) keep the imported
    name; the others are prefixed (``join__type``), as the link spec says.
    """
    names: dict[str, str] = {}
    for link in applied(schema_nodes, "link"):
        url: str = link.get("url") or ""
        if not url.startswith(SPEC_PREFIX):
            continue
        spec = url[len(SPEC_PREFIX) :].split("/")[0]
        alias = link.get("as") or spec
        names[spec] = alias
        for item in link.get("import") or ():
            if isinstance(item, dict):
                names[item["name"].lstrip("@")] = item.get("as", item["name"]).lstrip("@")
            else:
                names[item.lstrip("@")] = item.lstrip("@")
    return names
