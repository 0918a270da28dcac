"""``@link`` on a subgraph's schema: federation version and what each directive is called.

Federation 2 subgraphs import directives by name (``import: ["@key", {name: "@key", as:
"@primaryKey"}]``) and reach the rest through a namespace (``@federation__key``). Federation 1
subgraphs have no ``@link``: their directives have their plain names.
"""

import re
from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
)

from gateway.compose.report import did_you_mean

FEDERATION_DIRECTIVES = {
    "key": (2, 0), "external": (2, 0), "requires": (2, 0), "provides": (2, 0),
    "extends": (2, 0), "shareable": (2, 0), "inaccessible": (2, 0), "tag": (2, 0),
    "override": (2, 0), "composeDirective": (2, 1), "interfaceObject": (2, 3),
    "authenticated": (2, 5), "requiresScopes": (2, 5), "policy": (2, 6),
    "context": (2, 8), "fromContext": (2, 8), "cost": (2, 9), "listSize": (2, 9),
}
LATEST_FEDERATION = (2, 12)
FEDERATION1_DIRECTIVES = (
    "key", "external", "requires", "provides", "extends", "tag", "inaccessible",
)
_FEDERATION_URL = re.compile(r"^https://specs\.apollo\.dev/federation/v(\d+)\.(\d+)$")
_LINK_URL = re.compile(r"^https://specs\.apollo\.dev/link/v\d+\.\d+$")


class LinkError(ValueError):
    """A malformed ``@link`` (bad URL or import), reported with its directive node."""

    def __init__(self, message: str, node: DirectiveNode, hint: str,
                 code: str = "INVALID_LINK_DIRECTIVE_USAGE") -> None:
        super().__init__(message)
        self.node = node
        self.hint = hint
        self.code = code


@dataclass
class Links:
    """How this subgraph spells things."""

    fed2: bool = False
    version: tuple[int, int] = (1, 0)
    link_name: str = "link"
    namespace: str = "federation"
    names: dict[str, str] = field(default_factory=dict)
    imported: dict[str, str] = field(default_factory=dict)
    foreign: dict[str, tuple[str, str]] = field(default_factory=dict)
    compose_directives: list[tuple[str, DirectiveNode]] = field(default_factory=list)
    problems: list[LinkError] = field(default_factory=list)

    def canonical(self, local: str) -> str | None:
        """The federation directive ``local`` stands for, or None."""
        return self.names.get(local)


def read_links(document: DocumentNode) -> Links:
    directives = [
        directive
        for definition in document.definitions
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode)
        for directive in definition.directives or ()
    ]
    links = Links()
    link_directives = [d for d in directives if d.name.value == "link"]
    federation = [d for d in link_directives if _FEDERATION_URL.match(_argument(d, "url") or "")]
    if not federation:
        links.names = {name: name for name in FEDERATION1_DIRECTIVES}
        return links
    if len(federation) > 1:
        raise LinkError('Cannot link feature "https://specs.apollo.dev/federation" since it has '
                        "already been linked in the schema.", federation[1],
                        "keep a single federation @link (merge their imports)")
    _read_federation_link(links, federation[0])
    for directive in link_directives:
        url = _argument(directive, "url") or ""
        if directive is federation[0] or _LINK_URL.match(url):
            continue
        for local, imported in _imports(directive):
            links.foreign[local] = (url, imported)
    compose_names = {local for local, canon in links.names.items() if canon == "composeDirective"}
    links.compose_directives = [
        (_argument(d, "name") or "", d) for d in directives if d.name.value in compose_names
    ]
    return links


def _read_federation_link(links: Links, directive: DirectiveNode) -> None:
    match = _FEDERATION_URL.match(_argument(directive, "url") or "")
    assert match is not None
    links.fed2 = True
    links.version = (int(match.group(1)), int(match.group(2)))
    if not (2, 0) <= links.version <= LATEST_FEDERATION:
        latest = ".".join(map(str, LATEST_FEDERATION))
        raise LinkError(f"Invalid version v{match.group(1)}.{match.group(2)} for the federation "
                        "feature in @link directive on schema", directive,
                        f"link a federation version from v2.0 to v{latest}",
                        "UNKNOWN_FEDERATION_LINK_VERSION")
    namespace = _argument(directive, "as") or "federation"
    imports = _imports(directive)
    imported_names = {imported for _, imported in imports}
    links.names = {f"{namespace}__{name}": name for name, since in FEDERATION_DIRECTIVES.items()
                   if name not in imported_names and since <= links.version}
    links.namespace = namespace
    known = [f"@{name}" for name, since in FEDERATION_DIRECTIVES.items() if since <= links.version]
    for local, imported in imports:
        if f"@{imported}" in known:
            links.names[local] = imported
            links.imported[imported] = local
            continue
        since = FEDERATION_DIRECTIVES.get(imported)
        hint = (f"@{imported} needs federation v{since[0]}.{since[1]} or later: raise the "
                "version in the federation @link URL") if since \
            else "import only federation directives (@key, @shareable, ...)"
        links.problems.append(LinkError(
            f'Cannot import unknown element "@{imported}".{did_you_mean(f"@{imported}", known)}',
            directive, hint))


def _imports(directive: DirectiveNode) -> list[tuple[str, str]]:
    """``(local name, imported name)`` of the directives a ``@link`` imports (types skipped)."""
    value = next((a.value for a in directive.arguments or () if a.name.value == "import"), None)
    if not isinstance(value, ListValueNode):
        return []
    pairs = []
    for item in value.values:
        if isinstance(item, StringValueNode):
            name, alias = item.value, item.value
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: f.value for f in item.fields}
            name_node, alias_node = fields.get("name"), fields.get("as", fields.get("name"))
            if not isinstance(name_node, StringValueNode) or not isinstance(
                alias_node, StringValueNode
            ):
                raise LinkError("Invalid @link import: expected {name: String, as: String}",
                                directive, 'write imports as "@key" or {name: "@key", as: "@k"}')
            name, alias = name_node.value, alias_node.value
        else:
            raise LinkError("Invalid @link import: expected a string or an object", directive,
                            'write imports as "@key" or {name: "@key", as: "@k"}')
        if name.startswith("@"):
            pairs.append((alias.lstrip("@"), name.lstrip("@")))
    return pairs


def _argument(directive: DirectiveNode, name: str) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None
