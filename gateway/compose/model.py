"""One subgraph, normalised: federation directives read into plain attributes.

Whatever the federation version or the import renames (``@key`` vs ``@federation__key`` vs
``@primaryKey``), the merge stage sees the same shape. Directives that survive into the
supergraph (``@tag``, ``@inaccessible``, auth, ``@deprecated``, composed directives) are kept
as graphql-core nodes, renamed to their canonical names.
"""

from dataclasses import dataclass, field

from graphql import ConstValueNode, DirectiveDefinitionNode, DirectiveNode, Node, TypeNode


@dataclass
class Argument:
    name: str
    type: TypeNode
    default: ConstValueNode | None
    description: str | None
    directives: list[DirectiveNode]
    node: Node
    from_context: str | None = None


@dataclass
class Field:
    """A field of an object or interface type, or of an input object (no federation bits)."""

    name: str
    type: TypeNode
    description: str | None
    node: Node
    args: dict[str, Argument] = field(default_factory=dict)
    default: ConstValueNode | None = None
    directives: list[DirectiveNode] = field(default_factory=list)
    external: bool = False
    fake_external: bool = False
    shareable: bool = False
    shareable_applied: bool = False
    requires: str | None = None
    provides: str | None = None
    override_from: str | None = None
    override_label: str | None = None


@dataclass
class EnumValue:
    name: str
    description: str | None
    directives: list[DirectiveNode]
    node: Node


@dataclass(frozen=True)
class Key:
    fields: str
    resolvable: bool
    extension: bool
    node: Node
    resolvable_given: bool = False


@dataclass
class TypeDef:
    """A named type of one subgraph; ``kind`` is object, interface, union, enum, input or scalar."""

    kind: str
    name: str
    description: str | None
    node: Node | None
    fields: dict[str, Field] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    directives: list[DirectiveNode] = field(default_factory=list)
    shareable: bool = False
    interface_object: bool = False
    extends: bool = False
    contexts: list[str] = field(default_factory=list)
    federation1_extension: bool = False
    written_definition: bool = False
    has_definition: bool = False


@dataclass(frozen=True)
class ComposedDirective:
    """A custom directive a subgraph asks to keep (``@composeDirective``), with its spec link."""

    name: str
    definition: DirectiveDefinitionNode
    link_url: str | None
    link_import: str | None


@dataclass
class Subgraph:
    name: str
    url: str
    file: str | None
    fed2: bool
    version: tuple[int, int]
    types: dict[str, TypeDef]
    composed: dict[str, ComposedDirective] = field(default_factory=dict)
    executable_directives: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)
    imported_names: dict[str, str] = field(default_factory=dict)
    features_used: set[str] = field(default_factory=set)
    federation1_interface_keys: list[str] = field(default_factory=list)
    description: str | None = None

    def object_or_interface(self, name: str) -> TypeDef | None:
        found = self.types.get(name)
        return found if found and found.kind in ("object", "interface") else None
