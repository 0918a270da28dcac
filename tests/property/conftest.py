"""One all-in-one app for the property tests, over a database of its own.

Generated mutations really run, so the app gets a fresh database (dropped afterwards) and
no other test sees what they wrote. The partner's token holds every partner scope, so the
generated operations reach the resolvers rather than stopping at field authorization, and its
app's cost budget never runs dry: hundreds of generated operations in a few seconds would
otherwise be answered 429 (which the refusal matrix and the budget's own tests cover) instead
of being run.
"""

from collections.abc import AsyncIterator

import pytest
from graphql import GraphQLSchema

from gateway.limits import OperationLimits
from gateway.limits.settings import CostBucket
from schema.kernel.mongo import Mongo
from tests.limits_matrix.counted import CountedPlatform, counted_platform


@pytest.fixture(scope="package")
async def platform(mongo_client: Mongo) -> AsyncIterator[CountedPlatform]:
    limits = OperationLimits(cost_bucket=CostBucket(size=10 ** 9, restore_rate=10 ** 9))
    async with counted_platform(mongo_client, limits) as served:
        yield served


@pytest.fixture(scope="package")
def api_schema(platform: CountedPlatform) -> GraphQLSchema:
    """The schema partners see: the served gateway's API schema."""
    return platform.app.state.gateway.supergraph.api_schema
