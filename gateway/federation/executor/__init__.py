"""Executing query plans: fetches, entity representations, merging and response shaping."""

from gateway.native import use_compiled

use_compiled()  # the compiled entity and completion loops, when built from these sources

from .run import FetchFunction, execute_plan  # noqa: E402 (after the compiled modules)

__all__ = ["FetchFunction", "execute_plan"]
