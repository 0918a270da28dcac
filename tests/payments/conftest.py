"""The sandbox provider takes live payments in these tests, as on a ``serve --demo`` server
(a test of the refusal unsets it)."""

import pytest

from schema.payments.providers import LIVE_ENV


@pytest.fixture(autouse=True)
def _live_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIVE_ENV, "1")
