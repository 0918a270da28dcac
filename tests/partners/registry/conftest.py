"""Fixtures of the registry tests."""

from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.sandbox import Databases


@pytest.fixture
async def sandbox(db: AsyncDatabase) -> AsyncIterator[AsyncDatabase]:
    """The test database's sandbox twin, dropped afterwards (a served platform writes there)."""
    twin = Databases.beside(db).sandbox
    yield twin
    await db.client.drop_database(twin.name)
