"""The fixed definitions a supergraph carries for the specs it links (link, join, features).

Copied from what Apollo's composition prints, per join version, so that routers reading our
supergraph see exactly the definitions they know.
"""

LINK_URL = "https://specs.apollo.dev/link/v1.0"
_JOIN_FIELD_ARGS = {
    "0.3": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
           "external: Boolean, override: String, usedOverridden: Boolean",
    "0.4": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
           "external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String",
    "0.5": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
           "external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, "
           "contextArguments: [join__ContextArgument!]",
}

FEATURES = {
    "tag": ('@link(url: "https://specs.apollo.dev/tag/v0.3")',
            "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | "
            "UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | "
            "INPUT_FIELD_DEFINITION | SCHEMA", None),
    "inaccessible": ('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
                     "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
                     "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | "
                     "INPUT_FIELD_DEFINITION", None),
    "authenticated": ('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
                      "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | "
                      "SCALAR | ENUM", None),
    "requiresScopes": ('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
                       "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on "
                       "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
                       "scalar requiresScopes__Scope"),
    "policy": ('@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
               "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | "
               "INTERFACE | SCALAR | ENUM", "scalar policy__Policy"),
    "context": ('@link(url: "https://specs.apollo.dev/context/v0.1", for: SECURITY)',
                "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION",
                "directive @context__fromContext(field: context__ContextFieldValue) on "
                "ARGUMENT_DEFINITION", "scalar context__ContextFieldValue"),
}

LINK_DEFINITIONS = [
    "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
    "repeatable on SCHEMA",
    "scalar link__Import",
    'enum link__Purpose {\n  """\n  `SECURITY` features provide metadata necessary to securely '
    'resolve fields.\n  """\n  SECURITY\n\n  """\n  `EXECUTION` features provide metadata '
    'necessary for operation execution.\n  """\n  EXECUTION\n}',
]


def join_link(version: str) -> str:
    return f'@link(url: "https://specs.apollo.dev/join/v{version}", for: EXECUTION)'


def join_definitions(version: str) -> list[str]:
    """The ``join__*`` directives and types of one join spec version (0.3, 0.4 or 0.5)."""
    definitions = [
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        f"directive @join__field({_JOIN_FIELD_ARGS[version]}) repeatable on FIELD_DEFINITION | "
        "INPUT_FIELD_DEFINITION",
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on "
        "OBJECT | INTERFACE",
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = "
        "false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on "
        "OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
        "scalar join__FieldSet",
    ]
    if version in ("0.4", "0.5"):
        definitions += [
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: "
            "join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | "
            "FIELD_DEFINITION",
            "scalar join__DirectiveArguments",
        ]
    if version == "0.5":
        definitions += [
            "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: "
            "String!\n  selection: join__FieldValue!\n}",
            "scalar join__FieldValue",
        ]
    return definitions
