"""Supergraph SDL reduced to sorted facts, so two supergraphs compare by meaning, not layout.

Each fact is one line (``type Store @join__type(graph: A, key: "id")``, ``field Store.name:
String! @join__field(graph: A)``); directive applications are sorted per element, since their
order carries no meaning for a router.
"""

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)


def facts(sdl: str) -> list[str]:
    lines: list[str] = []
    for definition in parse(sdl).definitions:
        if isinstance(definition, SchemaDefinitionNode):
            lines += [f"schema {_directives(definition.directives)}"]
            lines += [f"root {o.operation.value}: {o.type.name.value}"
                      for o in definition.operation_types]
        elif isinstance(definition, DirectiveDefinitionNode):
            lines.append(print_ast(definition.__class__(
                name=definition.name, arguments=definition.arguments,
                repeatable=definition.repeatable, locations=definition.locations)))
        elif isinstance(definition, TypeDefinitionNode):
            lines += _type_facts(definition)
    return sorted(lines)


def _type_facts(node: TypeDefinitionNode) -> list[str]:
    name = node.name.value
    interfaces = sorted(i.name.value for i in getattr(node, "interfaces", None) or ())
    head = f"{node.kind} {name} implements {interfaces} {_directives(node.directives)}"
    lines = [head, f"description {name}: {_description(node)}"]
    if isinstance(node, UnionTypeDefinitionNode):
        lines.append(f"members {name}: {sorted(t.name.value for t in node.types or ())}")
    if isinstance(node, EnumTypeDefinitionNode):
        lines += [f"value {name}.{v.name.value} {_directives(v.directives)} {_description(v)}"
                  for v in node.values or ()]
    for field in getattr(node, "fields", None) or ():
        field_type = print_ast(field.type)
        default = getattr(field, "default_value", None)
        lines.append(f"field {name}.{field.name.value}: {field_type} "
                     f"= {print_ast(default) if default else None} "
                     f"{_directives(field.directives)} {_description(field)}")
        lines += [f"arg {name}.{field.name.value}({a.name.value}:) {print_ast(a.type)} "
                  f"= {print_ast(a.default_value) if a.default_value else None} "
                  f"{_directives(a.directives)} {_description(a)}"
                  for a in getattr(field, "arguments", None) or ()]
    return lines


def _directives(directives: tuple[DirectiveNode, ...] | None) -> str:
    return " ".join(sorted(print_ast(d) for d in directives or ()))


def _description(node: object) -> str:
    description = getattr(node, "description", None)
    return repr(description.value) if description else "-"
