"""Marketing tests: voucher keys from the environment (never the developer's state
directory), and the sandbox provider taking live payments as on a ``serve --demo`` server."""

import pytest

from schema.marketing.codes import KEYS_ENV, new_key_set
from schema.payments.providers import LIVE_ENV

_KEYS = new_key_set()


@pytest.fixture(autouse=True)
def _marketing_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, _KEYS)
    monkeypatch.setenv(LIVE_ENV, "1")
