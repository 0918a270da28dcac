"""The limits one operation must keep, with defaults that every documented use passes.

Defaults were set against the platform graph: every README example, a partner's nearby
search with stock and prices, ``inventoryChanges(first: 1000)`` and a 10,000-item
``syncInventory`` sent with variables stay well inside them
(``tests/gateway/test_limits_defaults.py``), while 100 aliased ``stores(first: 100)`` or
30 nested ``Store.inventory`` levels do not.
"""

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Introspection(StrEnum):
    """Who may send ``__schema``/``__type`` queries."""

    AUTHENTICATED = "authenticated"
    ON = "on"
    OFF = "off"


class CostBucket(BaseModel):
    """One app's rate limit by calculated cost, as Shopify's GraphQL Admin API has it: a
    bucket of ``size`` cost points (``maximumAvailable``) that gets ``restore_rate`` points
    back a second (``restoreRate``); an operation's estimated cost is taken before it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: int = Field(ge=1, description="cost points an app may spend at once")
    restore_rate: float = Field(gt=0, description="cost points restored a second")


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
    cost_bucket: CostBucket | None = Field(
        default=None,
        description="each app's cost budget; by default twice the cost ceiling (two "
                    "operations at the ceiling at once: 20,000) refilled in 20 s (1,000 "
                    "cost points a second, one operation at the ceiling every 10 s)")
    app_cost_buckets: dict[str, CostBucket] = Field(
        default_factory=dict,
        description="cost budgets of particular apps, by OAuth client id")

    @model_validator(mode="after")
    def _buckets_hold_the_costliest_operation(self) -> Self:
        """A bucket smaller than the cost ceiling would refuse some allowed operations for
        ever: refused at start-up instead."""
        named = {"cost_bucket": self.default_bucket,
                 **{f"app_cost_buckets.{k}": v for k, v in self.app_cost_buckets.items()}}
        for name, bucket in named.items():
            if bucket.size < self.cost:
                raise ValueError(f"{name}.size ({bucket.size}) is below the cost ceiling "
                                 f"({self.cost}): such operations could never run")
        return self

    @property
    def default_bucket(self) -> CostBucket:
        return self.cost_bucket or CostBucket(size=2 * self.cost,
                                              restore_rate=2 * self.cost / 20)

    def bucket_of(self, client_id: str | None) -> CostBucket:
        """The cost budget of an app (``client_id`` None: an anonymous caller)."""
        if client_id is not None and client_id in self.app_cost_buckets:
            return self.app_cost_buckets[client_id]
        return self.default_bucket
