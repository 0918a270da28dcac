"""Hypothesis strategies over the platform's API schema (built lazily, once).

Operations come from hypothesis-graphql: valid ones (``Mode.POSITIVE``: every root field,
argument values of the right types, including odd strings and nulls) and invalid ones
(``Mode.NEGATIVE``: wrong argument types, unknown fields). The schema's own scalars ``Date``
and ``DateTime`` get ISO-8601 text.
"""

import datetime
import functools

import hypothesis_graphql as hg
from graphql import GraphQLSchema
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from gateway.federation import Supergraph
from gateway.platform import compose_platform

_BOUNDED = settings(deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], verbosity=Verbosity.quiet,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def bounded(examples: int) -> settings:
    """``examples`` examples from a fixed seed (the same ones every run, so the folder's time
    is bounded and a failure reproduces), no example database written into the tree, no
    per-example deadline, no shrinking and no printed example: a generated mutation can be
    megabytes, and shrinking or pretty-printing one takes many minutes. The assertions quote
    what was sent instead."""
    return settings(_BOUNDED, max_examples=examples)

_SCALARS = {
    "Date": st.dates().map(lambda day: nodes.String(day.isoformat())),
    "DateTime": st.datetimes(timezones=st.just(datetime.UTC)).map(
        lambda moment: nodes.String(moment.isoformat())),
}


@functools.cache
def api_schema() -> GraphQLSchema:
    """The platform graph as partners see it (what ``create_app`` serves)."""
    return Supergraph.parse(compose_platform()).api_schema


def operations(kind: str, mode: hg.Mode) -> st.SearchStrategy[str]:
    """``kind``: "query" or "mutation"; documents as text."""
    build = hg.queries if kind == "query" else hg.mutations
    return st.deferred(lambda: build(api_schema(), custom_scalars=_SCALARS, mode=mode))
