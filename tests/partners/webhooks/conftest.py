"""Due buckets of a second (not a minute), settled after five: the tests' retries of tens of
milliseconds then wait for about a second, not a minute."""

from datetime import timedelta

import pytest

from partners.webhooks import due


@pytest.fixture(autouse=True)
def short_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(due, "SLOT", timedelta(seconds=1))
    monkeypatch.setattr(due, "SETTLE", timedelta(seconds=5))
