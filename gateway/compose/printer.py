"""Stage 4: the supergraph printed in Apollo's supergraph SDL layout.

Definitions are sorted by name, case-insensitively, as Apollo sorts them; each type lists its
``@join__*`` directives one per line before the opening brace.
"""

import re

from graphql import DirectiveDefinitionNode, DirectiveNode, StringValueNode, print_ast
from graphql.language.block_string import print_block_string

from gateway.compose.cost import cost_definitions, cost_link
from gateway.compose.directives import EXECUTABLE_LOCATIONS
from gateway.compose.spec_definitions import (
    FEATURES,
    LINK_DEFINITIONS,
    LINK_URL,
    join_definitions,
    join_link,
)
from gateway.compose.supergraph import (
    JoinField,
    JoinType,
    MergedArgument,
    MergedField,
    MergedType,
    Supergraph,
)
from gateway.compose.types import type_str


def print_supergraph(supergraph: Supergraph) -> str:
    definitions = _spec_definitions(supergraph) + [
        _type(t) for t in supergraph.types.values()
    ]
    blocks = [_schema(supergraph), *sorted(definitions, key=_sort_key)]
    return "\n\n".join(blocks) + "\n"


def _sort_key(block: str) -> tuple[int, str]:
    """Directives first, then types, each by name ignoring case (descriptions skipped)."""
    for line in block.splitlines():
        match = re.match(r"(directive @|(?:type|interface|union|enum|input|scalar) )(\w+)", line)
        if match:
            return (0 if match.group(1) == "directive @" else 1, match.group(2).lower())
    raise ValueError(f"not a definition: {block[:60]!r}")


def _schema(supergraph: Supergraph) -> str:
    links = [f"@link(url: \"{LINK_URL}\")", join_link(supergraph.join_version)]
    for name in supergraph.feature_order:
        links.append(cost_link(supergraph.features) if name == "cost" else FEATURES[name][0])
    for composed in supergraph.composed.values():
        if composed.link_url and f'"{composed.link_url}"' not in " ".join(links):
            imports = [f'"@{c.link_import}"' for c in supergraph.composed.values()
                       if c.link_url == composed.link_url]
            links.append(f'@link(url: "{composed.link_url}", import: [{", ".join(imports)}])')
    roots = "".join(f"  {op}: {name}\n" for op, name in supergraph.roots())
    head = _description(supergraph.description, "") + "schema\n"
    return head + "".join(f"  {link}\n" for link in links) + "{\n" + roots + "}"


def _spec_definitions(supergraph: Supergraph) -> list[str]:
    definitions = join_definitions(supergraph.join_version) + LINK_DEFINITIONS
    for name in supergraph.features & set(FEATURES):
        definitions += [d for d in FEATURES[name][1:] if d]
    if supergraph.features & {"cost", "listSize"}:
        definitions += cost_definitions(supergraph.features)
    definitions += [_directive_definition(c.definition) for c in supergraph.composed.values()]
    definitions += supergraph.executable_directives
    graphs = "".join(f"  {g.enum} @join__graph(name: {_string(g.name)}, url: {_string(g.url)})\n"
                     for g in supergraph.graphs)
    definitions.append("enum join__Graph {\n" + graphs + "}")
    return definitions


def executable_definition(node: DirectiveDefinitionNode) -> str:
    """A directive definition cut down to its executable locations."""
    locations = [loc for loc in node.locations if loc.value in EXECUTABLE_LOCATIONS]
    return _directive_definition(node.__class__(
        name=node.name, description=node.description, arguments=node.arguments,
        repeatable=node.repeatable, locations=tuple(locations)))


def _directive_definition(node: DirectiveDefinitionNode) -> str:
    description = node.description.value if node.description else None
    bare = node.__class__(name=node.name, arguments=node.arguments,
                          repeatable=node.repeatable, locations=node.locations)
    return _description(description, "") + print_ast(bare)


def _type(merged: MergedType) -> str:
    keyword = {"object": "type", "interface": "interface", "union": "union", "enum": "enum",
               "input": "input", "scalar": "scalar"}[merged.kind]
    head = f"{keyword} {merged.name}"
    if merged.interfaces:
        head += " implements " + " & ".join(merged.interfaces)
    directives = [f'@join__implements(graph: {g}, interface: {_string(i)})'
                  for g, i in merged.implements]
    directives += [_join_type(j) for j in merged.joins]
    directives += [f'@join__unionMember(graph: {g}, member: {_string(m)})'
                   for g, m in merged.union_members]
    directives += [print_ast(d) for d in merged.directives]
    text = _description(merged.description, "") + head + "".join(f"\n  {d}" for d in directives)
    if merged.kind == "union":
        return text + "\n = " + " | ".join(merged.members)
    if merged.kind == "scalar":
        return text
    if merged.kind == "enum":
        body = [_description(v.description, "  ") + "  " + " ".join([v.name, *_with_joins(
            v.directives, [f"@join__enumValue(graph: {g})" for g in v.graphs])])
            for v in merged.values.values()]
    else:
        body = [_field(f) for f in merged.fields.values()]
    return text + "\n{\n" + _join_members(body) + "\n}"


def _join_members(members: list[str]) -> str:
    """One per line, with a blank line before each described member but the first."""
    lines = []
    for position, member in enumerate(members):
        if position and member.lstrip().startswith('"'):
            lines.append("")
        lines.append(member)
    return "\n".join(lines)


def _field(field: MergedField) -> str:
    line = "  " + field.name + _arguments(field.args) + ": " + type_str(field.type)
    if field.default is not None:
        line += " = " + print_ast(field.default)
    parts = _with_joins(field.directives, [_join_field(j) for j in field.joins])
    return _description(field.description, "  ") + " ".join([line, *parts])


def _with_joins(directives: list[DirectiveNode], joins: list[str]) -> list[str]:
    """Apollo's order on fields and enum values: @inaccessible, the joins, the rest."""
    hidden = [print_ast(d) for d in directives if d.name.value == "inaccessible"]
    return hidden + joins + [print_ast(d) for d in directives if d.name.value != "inaccessible"]


def _arguments(args: dict[str, MergedArgument]) -> str:
    if not args:
        return ""
    printed = []
    for arg in args.values():
        text = f"{arg.name}: {type_str(arg.type)}"
        if arg.default is not None:
            text += " = " + print_ast(arg.default)
        printed.append(" ".join([text] + [print_ast(d) for d in arg.directives]))
    if not any(a.description for a in args.values()):
        return "(" + ", ".join(printed) + ")"
    lines = [_description(a.description, "    ") + "    " + p
             for a, p in zip(args.values(), printed, strict=True)]
    return "(\n" + "\n".join(lines) + "\n  )"


def _join_type(join: JoinType) -> str:
    args = [f"graph: {join.graph}"]
    if join.key is not None:
        args.append(f"key: {_string(join.key)}")
    if join.extension:
        args.append("extension: true")
    if join.resolvable is not None:
        args.append(f"resolvable: {str(join.resolvable).lower()}")
    if join.interface_object:
        args.append("isInterfaceObject: true")
    return f"@join__type({', '.join(args)})"


def _join_field(join: JoinField) -> str:
    """Arguments in the order Apollo writes them (not the definition's order)."""
    args = [f"graph: {join.graph}"] if join.graph else []
    for name, value in (("requires", join.requires), ("provides", join.provides),
                        ("override", join.override), ("type", join.type)):
        if value is not None:
            args.append(f"{name}: {_string(value)}")
    if join.external:
        args.append("external: true")
    if join.used_overridden:
        args.append("usedOverridden: true")
    if join.override_label is not None:
        args.append(f"overrideLabel: {_string(join.override_label)}")
    if join.context_arguments:
        items = [f"{{context: {_string(c.context)}, name: {_string(c.name)}, type: "
                 f"{_string(c.type)}, selection: {_string(c.selection)}}}"
                 for c in join.context_arguments]
        args.append(f"contextArguments: [{', '.join(items)}]")
    return f"@join__field({', '.join(args)})" if args else "@join__field"


def _description(description: str | None, indent: str) -> str:
    if description is None:
        return ""
    block = print_block_string(description)
    return indent + block.replace("\n", "\n" + indent) + "\n"


def _string(value: str) -> str:
    return print_ast(StringValueNode(value=value))
