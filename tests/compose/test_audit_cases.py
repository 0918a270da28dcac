"""Regression cases from the graphql-hive federation-gateway-audit, reduced to small SDL.

Each directory under ``fixtures/audit/`` reproduces one way our composition once disagreed
with ``@apollo/composition`` 2.14 on an audit subgraph set (a refused valid input, a missing
``join__*`` argument, a satisfiability error Apollo does not report). Next to the subgraphs
sits Apollo's answer, generated as described in README.md: ``supergraph.graphql`` (compared
as text) or ``errors.json`` (compared as codes and messages).
"""

import json
from pathlib import Path

import pytest

from gateway.compose import compose_supergraph
from tests.compose.test_conformance import sources

CASES = sorted(p for p in (Path(__file__).parent / "fixtures" / "audit").iterdir() if p.is_dir())


def test_every_case_has_apollos_answer() -> None:
    assert len(CASES) >= 4
    for case in CASES:
        assert (case / "supergraph.graphql").exists() != (case / "errors.json").exists(), case


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_composes_as_apollo(case: Path) -> None:
    result = compose_supergraph(sources(case))
    if (case / "supergraph.graphql").exists():
        assert [(e.code, e.message) for e in result.errors] == []
        assert result.supergraph_sdl == (case / "supergraph.graphql").read_text()
    else:
        expected = json.loads((case / "errors.json").read_text())
        assert result.supergraph_sdl is None
        assert sorted((e.code, e.message) for e in result.errors) == \
            sorted((e["code"], e["message"]) for e in expected)
