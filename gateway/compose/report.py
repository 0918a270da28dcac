"""Apollo's wording for lists of subgraphs and for values that differ between subgraphs."""

from collections.abc import Sequence


def join_strings(items: Sequence[str], separator: str = ", ", first: str | None = None,
                 last: str = " and ") -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return items[0] + (first if first is not None else last) + items[1]
    head = items[0] + (first if first is not None else separator)
    return head + separator.join(items[1:-1]) + last + items[-1]


def subgraph_names(names: Sequence[str]) -> str:
    """``subgraph "a"``, ``subgraphs "a" and "b"``, ``subgraphs "a", "b" and "c"``."""
    quoted = [f'"{name}"' for name in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    return "subgraphs " + join_strings(quoted)


def mismatch(message: str, supergraph_value: str, values: Sequence[tuple[str, str]]) -> str:
    """``message`` + ``type "Int" in subgraph "a" but type "String" in subgraph "b"``.

    ``values`` pairs each subgraph with its printed value; the supergraph's value comes first.
    """
    groups: dict[str, list[str]] = {}
    for subgraph, value in values:
        groups.setdefault(value, []).append(subgraph)
    ordered = [supergraph_value] if supergraph_value in groups else []
    ordered += [value for value in groups if value != supergraph_value]
    parts = [f"{value} in {subgraph_names(groups[value])}" for value in ordered]
    return message + join_strings(parts, " and ", " but ")
