"""Fixtures of the federation conformance suite: one gateway per fixture supergraph."""

from functools import cache

import pytest

from gateway.federation import Supergraph

from .harness import Gateway, load_supergraph
from .media import media_subgraphs
from .shop import shop_subgraphs


@cache
def _supergraph(name: str) -> Supergraph:
    return load_supergraph(name)


@pytest.fixture
def shop() -> Gateway:
    """The shop supergraph over fresh in-process subgraphs (calls recorded per test)."""
    return Gateway(_supergraph("shop"), shop_subgraphs())


@pytest.fixture
def media() -> Gateway:
    return Gateway(_supergraph("media"), media_subgraphs())
