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


def did_you_mean(name: str, options: Sequence[str]) -> str:
    """`` Did you mean "@requires"?`` for the options close to ``name`` (Apollo's wording)."""
    threshold = int(len(name) * 0.4) + 1
    distances = {o: 1 if o.lower() == name.lower() else _levenshtein(name, o) for o in options}
    close = sorted((o for o, d in distances.items() if d <= threshold),
                   key=lambda o: (distances[o], o.lower()))
    quoted = [f'"{o}"' for o in close[:5]]
    if not quoted:
        return ""
    if len(quoted) <= 2:
        return f" Did you mean {' or '.join(quoted)}?"
    return f" Did you mean {', '.join(quoted[:-1])}, or {quoted[-1]}?"


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
