"""One server of partner subgraphs for the session (port 4741); loopback allowed as the
operator would allow a network (LOOPGATE_ALLOW_NETWORKS), so plain http is accepted."""

from collections.abc import Iterator

import pytest

from partners.urls import ALLOW_NETWORKS_ENV
from tests.gateway.servers import serving
from tests.partners.subgraphs.partner_apps import APP, PORT


@pytest.fixture(scope="session")
def partner_server() -> Iterator[str]:
    with serving(APP, port=PORT) as base:
        yield base


@pytest.fixture
def base(partner_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8")
    return partner_server
