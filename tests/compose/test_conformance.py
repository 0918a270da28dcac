"""Our composition against Apollo's, on every fixture under ``fixtures/`` (see README.md)."""

import json
from pathlib import Path

import pytest

from gateway.compose import SubgraphSource, compose_supergraph
from tests.compose.normalize import facts

FIXTURES = Path(__file__).parent / "fixtures"
SUPERGRAPH_CASES = sorted(p for p in FIXTURES.iterdir() if (p / "supergraph.graphql").exists())
ERROR_CASES = sorted(p for p in (FIXTURES / "errors").iterdir() if (p / "errors.json").exists())


def sources(directory: Path) -> list[SubgraphSource]:
    return [
        SubgraphSource(f.stem, f.read_text(), f"http://{f.stem}.example/graphql", str(f))
        for f in sorted(directory.glob("*.graphql")) if f.name != "supergraph.graphql"
    ]


def test_fixture_sets_are_present() -> None:
    assert len(SUPERGRAPH_CASES) >= 10
    assert len(ERROR_CASES) >= 20


@pytest.mark.parametrize("case", SUPERGRAPH_CASES, ids=lambda p: p.name)
def test_supergraph_matches_apollo(case: Path) -> None:
    result = compose_supergraph(sources(case))
    assert result.errors == []
    assert result.supergraph_sdl is not None
    assert facts(result.supergraph_sdl) == facts((case / "supergraph.graphql").read_text())


@pytest.mark.parametrize("case", SUPERGRAPH_CASES, ids=lambda p: p.name)
def test_supergraph_text_is_apollos_layout(case: Path) -> None:
    """Beyond meaning, the text itself: diffs against Apollo-composed files stay empty."""
    assert compose_supergraph(sources(case)).supergraph_sdl == \
        (case / "supergraph.graphql").read_text()


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda p: p.name)
def test_errors_match_apollo(case: Path) -> None:
    expected = [(e["code"], e["message"]) for e in json.loads((case / "errors.json").read_text())]
    result = compose_supergraph(sources(case))
    assert result.supergraph_sdl is None
    assert sorted((e.code, e.message) for e in result.errors) == sorted(expected)


# Errors about a whole query path or about @link imports have no single line to point at.
WITHOUT_LINE = {"SATISFIABILITY_ERROR", "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES",
                "LINK_IMPORT_NAME_MISMATCH"}


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda p: p.name)
def test_errors_say_where_and_what_next(case: Path) -> None:
    for error in compose_supergraph(sources(case)).errors:
        assert error.hint, error
        assert error.subgraph in {f.stem for f in case.glob("*.graphql")}, error
        assert error.file is not None and error.file.endswith(".graphql"), error
        assert error.line is not None or error.code in WITHOUT_LINE, error
