"""The limits one operation must keep, with defaults that every documented use passes.

Defaults were set against the platform graph: every README example, a partner's nearby
search with stock and prices, ``inventoryChanges(first: 1000)`` and a 10,000-item
``syncInventory`` sent with variables stay well inside them
(``tests/gateway/test_limits_defaults.py``), while 100 aliased ``stores(first: 100)`` or
30 nested ``Store.inventory`` levels do not.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Introspection(StrEnum):
    """Who may send ``__schema``/``__type`` queries."""

    AUTHENTICATED = "authenticated"
    ON = "on"
    OFF = "off"


class OperationLimits(BaseModel):
    """Per-operation ceilings (``LOOPGATE_LIMITS``, JSON with these names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_bytes: int = Field(default=100_000, ge=1,
                                description="largest query text, in UTF-8 bytes")
    tokens: int = Field(default=10_000, ge=1, description="most lexical tokens in a query")
    body_bytes: int = Field(default=4_000_000, ge=1,
                            description="largest HTTP request (query and variables)")
    depth: int = Field(default=15, ge=1, description="deepest field nesting")
    aliases: int = Field(default=30, ge=0, description="most aliased fields")
    root_fields: int = Field(default=20, ge=1, description="most root fields")
    cost: int = Field(default=10_000, ge=1, description="highest estimated cost")
    list_size: int = Field(default=10, ge=0,
                           description="assumed length of a list without a size argument")
    introspection: Introspection = Introspection.AUTHENTICATED
    concurrent_operations: int = Field(default=20, ge=1,
                                       description="operations one app may run at once")
    concurrent_cost: int = Field(default=20_000, ge=1,
                                 description="summed estimated cost of one app's operations "
                                             "running at once (two at the cost ceiling)")
    timeout_seconds: float = Field(default=30.0, gt=0,
                                   description="time budget of one operation")
