"""Breaking changes between two supergraphs, as a schema check before publishing one.

Only the API schema counts: ``join__*``/``link__*`` plumbing and ``@inaccessible`` elements
are invisible to clients. Outputs may narrow (``String`` → ``String!``) but not widen;
inputs may widen (``Int!`` → ``Int``) but not narrow; nothing may disappear.
"""

from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    DefinitionNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    parse,
)

from gateway.compose.types import is_strict_subtype, type_str

_SPEC_PREFIXES = ("join__", "link__", "requiresScopes__", "policy__")


@dataclass(frozen=True)
class BreakingChange:
    """One change that can break an existing client: Apollo's schema-check code and why."""

    code: str
    coordinate: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def breaking_changes(previous_sdl: str, current_sdl: str) -> list[BreakingChange]:
    previous, current = _api_types(previous_sdl), _api_types(current_sdl)
    changes: list[BreakingChange] = []
    for name, old in previous.items():
        new = current.get(name)
        if new is None:
            changes.append(BreakingChange("TYPE_REMOVED", name, f'Type "{name}" was removed.'))
        elif type(new) is not type(old):
            changes.append(BreakingChange("TYPE_CHANGED_KIND", name,
                                          f'Type "{name}" changed kind.'))
        else:
            changes += _type_changes(name, old, new)
    return changes


def _api_types(sdl: str) -> dict[str, TypeDefinitionNode]:
    return {
        d.name.value: d for d in parse(sdl).definitions
        if isinstance(d, TypeDefinitionNode) and _visible(d)
        and not d.name.value.startswith(_SPEC_PREFIXES)
    }


def _visible(node: DefinitionNode) -> bool:
    return not any(d.name.value == "inaccessible" for d in getattr(node, "directives", ()) or ())


def _type_changes(name: str, old: TypeDefinitionNode, new: TypeDefinitionNode
                  ) -> list[BreakingChange]:
    if isinstance(old, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        assert isinstance(new, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode)
        return _output_field_changes(name, old, new) + _removed(
            "TYPE_REMOVED_FROM_INTERFACE", name, _names(old.interfaces), _names(new.interfaces),
            lambda i: f'Type "{name}" no longer implements interface "{i}".')
    if isinstance(old, InputObjectTypeDefinitionNode):
        assert isinstance(new, InputObjectTypeDefinitionNode)
        return _input_changes(name, _inputs(old.fields), _inputs(new.fields), "field")
    if isinstance(old, EnumTypeDefinitionNode):
        assert isinstance(new, EnumTypeDefinitionNode)
        return _removed("VALUE_REMOVED_FROM_ENUM", name, _names(old.values, True),
                        _names(new.values, True),
                        lambda v: f'Value "{v}" was removed from enum "{name}".')
    if isinstance(old, UnionTypeDefinitionNode):
        assert isinstance(new, UnionTypeDefinitionNode)
        return _removed("TYPE_REMOVED_FROM_UNION", name, _names(old.types), _names(new.types),
                        lambda m: f'Type "{m}" was removed from union "{name}".')
    return []


def _output_field_changes(name: str, old: ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode,
                          new: ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode
                          ) -> list[BreakingChange]:
    old_fields, new_fields = _fields(old.fields), _fields(new.fields)
    changes = []
    for field_name, old_field in old_fields.items():
        coordinate = f"{name}.{field_name}"
        new_field = new_fields.get(field_name)
        if new_field is None:
            changes.append(BreakingChange("FIELD_REMOVED", coordinate,
                                          f'Field "{coordinate}" was removed.'))
            continue
        if not _output_compatible(old_field.type, new_field.type):
            changes.append(BreakingChange(
                "FIELD_CHANGED_TYPE", coordinate,
                f'Field "{coordinate}" changed type from "{type_str(old_field.type)}" to '
                f'"{type_str(new_field.type)}".'))
        changes += _input_changes(coordinate, _inputs(old_field.arguments),
                                  _inputs(new_field.arguments), "argument")
    return changes


def _input_changes(owner: str, old: dict[str, InputValueDefinitionNode],
                   new: dict[str, InputValueDefinitionNode], kind: str) -> list[BreakingChange]:
    """Arguments of a field, or fields of an input object."""
    prefix = "ARG" if kind == "argument" else "FIELD"
    changes = []
    for name, old_value in old.items():
        coordinate = f"{owner}({name}:)" if kind == "argument" else f"{owner}.{name}"
        new_value = new.get(name)
        if new_value is None:
            changes.append(BreakingChange(f"{prefix}_REMOVED", coordinate,
                                          f'{kind.capitalize()} "{coordinate}" was removed.'))
        elif not _input_compatible(old_value.type, new_value.type):
            changes.append(BreakingChange(
                f"{prefix}_CHANGED_TYPE", coordinate,
                f'{kind.capitalize()} "{coordinate}" changed type from '
                f'"{type_str(old_value.type)}" to "{type_str(new_value.type)}".'))
    for name, new_value in new.items():
        if name not in old and type_str(new_value.type).endswith("!") and \
                new_value.default_value is None:
            coordinate = f"{owner}({name}:)" if kind == "argument" else f"{owner}.{name}"
            code = "REQUIRED_ARG_ADDED" if kind == "argument" \
                else "NON_NULLABLE_FIELD_ADDED_TO_INPUT_OBJECT"
            changes.append(BreakingChange(code, coordinate,
                                          f'Required {kind} "{coordinate}" was added.'))
    return changes


def _output_compatible(old: TypeNode, new: TypeNode) -> bool:
    return type_str(old) == type_str(new) or is_strict_subtype(old, new, _no_members)


def _input_compatible(old: TypeNode, new: TypeNode) -> bool:
    return type_str(old) == type_str(new) or is_strict_subtype(new, old, _no_members)


def _no_members(general: str, specific: str) -> bool:
    return False


def _removed(code: str, owner: str, old: list[str], new: list[str],
             describe: Callable[[str], str]) -> list[BreakingChange]:
    return [BreakingChange(code, f"{owner}.{name}", describe(name))
            for name in old if name not in new]


def _names(nodes: tuple | None, visible_only: bool = False) -> list[str]:
    return [n.name.value for n in nodes or () if not visible_only or _visible(n)]


def _fields(nodes: tuple[FieldDefinitionNode, ...] | None) -> dict[str, FieldDefinitionNode]:
    return {f.name.value: f for f in nodes or () if _visible(f)}


def _inputs(nodes: tuple[InputValueDefinitionNode, ...] | None
            ) -> dict[str, InputValueDefinitionNode]:
    return {v.name.value: v for v in nodes or () if _visible(v)}
