"""What a guarded field or type asks of the caller: authentication, or scopes.

``@requiresScopes(scopes: [["a", "b"], ["c"]])`` means (a AND b) OR c. A caller without a
token satisfies neither directive. Requirements are hashable values, so the set a caller
satisfies (the *auth shape*) can be part of a plan-cache key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schema.kernel.principal import Principal


@dataclass(frozen=True, slots=True)
class Requirement:
    """``@authenticated`` when ``scopes`` is None; else an OR of AND-groups of scopes."""

    scopes: frozenset[frozenset[str]] | None = None

    @classmethod
    def authenticated(cls) -> Requirement:
        return cls(None)

    @classmethod
    def any_of(cls, groups: Iterable[Iterable[str]]) -> Requirement:
        return cls(frozenset(frozenset(group) for group in groups))

    def satisfied_by(self, principal: Principal | None) -> bool:
        if principal is None:
            return False
        if self.scopes is None:
            return True
        return any(group <= principal.scopes for group in self.scopes)

    def describe(self) -> str:
        if self.scopes is None:
            return "authentication"
        groups = sorted(" and ".join(sorted(group)) or "(none)" for group in self.scopes)
        return "scope " + " or ".join(groups)


AuthShape = frozenset[Requirement]
"""The guarded requirements a caller satisfies; equal shapes get the same pruned plan."""
