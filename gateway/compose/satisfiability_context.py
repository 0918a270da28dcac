"""``@fromContext`` in satisfiability, as Apollo's query graph validates it.

A contextual argument's value comes from the nearest type up the query path that sets the
context (the type itself, an interface it implements, or a union it belongs to): the router
reads the context's selection there. A subgraph can resolve a field with contextual arguments
on a path only when every context it needs is set on that path ("could not find a match for
required context") and its selection can be fetched from there ("cannot satisfy @require
conditions").
"""

from graphql import StringValueNode

from gateway.compose.reach import Reach
from gateway.compose.supergraph import Supergraph

# (context, type that set it, subgraphs the query was in at that type), nearest per context.
PathContexts = frozenset[tuple[str, str, tuple[int, ...]]]
UNSET = "unset"
UNSATISFIED = "unsatisfied"


class ContextRules:
    def __init__(self, supergraph: Supergraph, reach: Reach) -> None:
        self.supergraph = supergraph
        self.reach = reach
        self.setters: dict[str, set[str]] = {}
        for typedef in supergraph.types.values():
            for directive in typedef.directives:
                if directive.name.value != "context":
                    continue
                for argument in directive.arguments or ():
                    if argument.name.value == "name" and isinstance(argument.value,
                                                                     StringValueNode):
                        self.setters.setdefault(argument.value.value, set()).add(typedef.name)

    def entered(self, contexts: PathContexts, parent: str, options: tuple[int, ...]
                ) -> PathContexts:
        """The path's contexts once the query selects a field of ``parent`` in ``options``."""
        matched = self._matching(parent)
        if not matched:
            return contexts
        kept = {entry for entry in contexts if entry[0] not in matched}
        return frozenset(kept | {(c, parent, options) for c in matched})

    def entered_keys(self, keys: PathContexts, parent: str, before: tuple[int, ...]
                     ) -> PathContexts:
        """Apollo's record of the same step for telling visits apart: slot ``i`` of the
        contexts ``parent`` sets (it numbers them instead of naming them) → ``parent`` and the
        subgraphs the query was in before the step. Two paths reaching a type with different
        records are validated (and reported) separately, as Apollo does."""
        slots = {str(i) for i in range(len(self._matching(parent)))}
        if not slots:
            return keys
        kept = {entry for entry in keys if entry[0] not in slots}
        return frozenset(kept | {(slot, parent, before) for slot in slots})

    def _matching(self, parent: str) -> set[str]:
        return {c for c, types in self.setters.items() if any(self._sets(parent, t) for t in types)}

    def failure(self, contexts: PathContexts, index: int, type_name: str, name: str
                ) -> str | None:
        """Why subgraph ``index`` cannot give ``type_name.name`` its contextual arguments on
        this path (``UNSET`` or ``UNSATISFIED``), or None when it can."""
        field = self.supergraph.types[type_name].fields.get(name)
        graph = self.supergraph.graphs[index].enum
        for join in field.joins if field else ():
            if join.graph != graph:
                continue
            for argument in join.context_arguments:
                found = next(((t, o) for c, t, o in contexts if c == argument.context), None)
                if found is None:
                    return UNSET
                setter, options = found
                selection = argument.selection.strip()
                if selection.startswith("{"):
                    selection = selection[1:-1]
                if not any(self.reach.fetches(setter, o, selection) for o in options):
                    return UNSATISFIED
        return None

    def _sets(self, parent: str, setter: str) -> bool:
        if parent == setter:
            return True
        merged = self.supergraph.types.get(parent)
        if merged is not None and setter in merged.interfaces:
            return True
        union = self.supergraph.types.get(setter)
        return union is not None and union.kind == "union" and parent in union.members
