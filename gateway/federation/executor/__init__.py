"""Executing query plans: fetches, entity representations, merging and response shaping."""

from .run import FetchFunction, execute_plan

__all__ = ["FetchFunction", "execute_plan"]
