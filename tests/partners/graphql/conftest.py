"""Webhook self-service tests: due slots of a second (as the delivery core's tests), the
loopback network allowed for the receivers on 127.0.0.1, and the sandbox twin of each test's
database dropped afterwards."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.urls import ALLOW_NETWORKS_ENV
from partners.webhooks import due
from schema.kernel.sandbox import Databases


@pytest.fixture(autouse=True)
def short_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(due, "SLOT", timedelta(seconds=1))
    monkeypatch.setattr(due, "SETTLE", timedelta(seconds=5))


@pytest.fixture(autouse=True)
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8")


@pytest.fixture
async def sandbox(db: AsyncDatabase) -> AsyncIterator[AsyncDatabase]:
    twin = Databases.beside(db).sandbox
    yield twin
    await db.client.drop_database(twin.name)
