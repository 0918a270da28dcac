"""The error family of the federation engine, one type per stage.

Each error names the type and field (or directive) involved, so a failure says which stage
broke and where. They are turned into ``GraphQLError`` only at the response boundary.
"""


class FederationError(Exception):
    """Base of every error raised by the federation engine."""


class SupergraphError(FederationError):
    """The supergraph SDL cannot be loaded; ``element`` names the type, field or directive."""

    def __init__(self, message: str, element: str | None = None) -> None:
        super().__init__(f"{element}: {message}" if element else message)
        self.element = element


class PlanningError(FederationError):
    """An operation cannot be planned; ``type_name``/``field_name`` say where it failed."""

    def __init__(
        self, message: str, type_name: str | None = None, field_name: str | None = None
    ) -> None:
        where = ".".join(part for part in (type_name, field_name) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.type_name = type_name
        self.field_name = field_name
