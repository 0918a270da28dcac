"""Composition errors: Apollo's error codes, plus where the problem is and what to do next.

The ``message`` is worded as Apollo's composition words it (so a partner who searches the
message finds Apollo's documentation); ``hint`` adds the next step, and ``subgraph``,
``file`` and ``line`` point at the offending definition.
"""

from collections.abc import Callable
from dataclasses import dataclass

from graphql import Node

INVALID_GRAPHQL = "INVALID_GRAPHQL"
INVALID_SUBGRAPH_NAME = "INVALID_SUBGRAPH_NAME"
INVALID_FIELD_SHARING = "INVALID_FIELD_SHARING"
KEY_INVALID_FIELDS = "KEY_INVALID_FIELDS"
KEY_FIELDS_SELECT_INVALID_TYPE = "KEY_FIELDS_SELECT_INVALID_TYPE"
KEY_FIELDS_HAS_ARGS = "KEY_FIELDS_HAS_ARGS"
REQUIRES_INVALID_FIELDS = "REQUIRES_INVALID_FIELDS"
REQUIRES_FIELDS_MISSING_EXTERNAL = "REQUIRES_FIELDS_MISSING_EXTERNAL"
PROVIDES_INVALID_FIELDS = "PROVIDES_INVALID_FIELDS"
PROVIDES_FIELDS_MISSING_EXTERNAL = "PROVIDES_FIELDS_MISSING_EXTERNAL"
PROVIDES_ON_NON_OBJECT_FIELD = "PROVIDES_ON_NON_OBJECT_FIELD"
EXTERNAL_MISSING_ON_BASE = "EXTERNAL_MISSING_ON_BASE"
EXTERNAL_TYPE_MISMATCH = "EXTERNAL_TYPE_MISMATCH"
FIELD_TYPE_MISMATCH = "FIELD_TYPE_MISMATCH"
ARGUMENT_TYPE_MISMATCH = "FIELD_ARGUMENT_TYPE_MISMATCH"
ARGUMENT_DEFAULT_MISMATCH = "FIELD_ARGUMENT_DEFAULT_MISMATCH"
INPUT_FIELD_DEFAULT_MISMATCH = "INPUT_FIELD_DEFAULT_MISMATCH"
TYPE_KIND_MISMATCH = "TYPE_KIND_MISMATCH"
ENUM_VALUE_MISMATCH = "ENUM_VALUE_MISMATCH"
EMPTY_MERGED_ENUM_TYPE = "EMPTY_MERGED_ENUM_TYPE"
EMPTY_MERGED_INPUT_TYPE = "EMPTY_MERGED_INPUT_TYPE"
REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH = "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"
REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH = "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"
OVERRIDE_FROM_SELF_ERROR = "OVERRIDE_FROM_SELF_ERROR"
OVERRIDE_SOURCE_HAS_OVERRIDE = "OVERRIDE_SOURCE_HAS_OVERRIDE"
OVERRIDE_LABEL_INVALID = "OVERRIDE_LABEL_INVALID"
INTERFACE_OBJECT_USAGE_ERROR = "INTERFACE_OBJECT_USAGE_ERROR"
INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE = "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE"
EXTENSION_WITH_NO_BASE = "EXTENSION_WITH_NO_BASE"
DIRECTIVE_COMPOSITION_ERROR = "DIRECTIVE_COMPOSITION_ERROR"
NO_QUERIES = "NO_QUERIES"
SATISFIABILITY_ERROR = "SATISFIABILITY_ERROR"
REFERENCED_INACCESSIBLE = "REFERENCED_INACCESSIBLE"
ONLY_INACCESSIBLE_CHILDREN = "ONLY_INACCESSIBLE_CHILDREN"
REQUIRED_INACCESSIBLE = "REQUIRED_INACCESSIBLE"
INTERFACE_FIELD_NO_IMPLEM = "INTERFACE_FIELD_NO_IMPLEM"
EXTERNAL_UNUSED = "EXTERNAL_UNUSED"
CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS = (
    "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS")
LINK_IMPORT_NAME_MISMATCH = "LINK_IMPORT_NAME_MISMATCH"
AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE = "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE"
MISSING_TRANSITIVE_AUTH_REQUIREMENTS = "MISSING_TRANSITIVE_AUTH_REQUIREMENTS"
SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES = "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES"


@dataclass(frozen=True)
class CompositionError:
    """One reason the subgraphs do not compose (or one subgraph does not load)."""

    code: str
    message: str
    subgraph: str | None = None
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def where(self) -> str:
        """``file:line`` (or the subgraph name) for the start of a printed error."""
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        if self.file:
            return self.file
        if self.subgraph and self.line:
            return f"subgraph {self.subgraph!r}, line {self.line}"
        return f"subgraph {self.subgraph!r}" if self.subgraph else "supergraph"

    def __str__(self) -> str:
        text = f"{self.where()}: {self.code}: {self.message}"
        return f"{text}\n  → {self.hint}" if self.hint else text


ErrorFactory = Callable[[str, str, Node | None, str | None], CompositionError]
"""Builds an error located in one subgraph: ``(code, message, node, hint)``."""


def line_of(node: Node | None) -> int | None:
    """The 1-based line a node starts on, when the SDL was parsed with locations."""
    return node.loc.start_token.line if node is not None and node.loc is not None else None
