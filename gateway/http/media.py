"""Media types of GraphQL over HTTP, and choosing one from an ``Accept`` header."""

from enum import StrEnum


class MediaType(StrEnum):
    GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
    JSON = "application/json"
    HTML = "text/html"


_KNOWN = {
    **{media.value: media for media in MediaType},
    "*/*": MediaType.GRAPHQL_RESPONSE_JSON,
    "application/*": MediaType.GRAPHQL_RESPONSE_JSON,
}


def accepted(accept: str | None, offered: tuple[MediaType, ...]) -> MediaType | None:
    """The offered type the client prefers (ties go to the earlier offer), or None.

    A missing or empty header means any type, so the first offer; wildcards match the
    GraphQL response type, the one the GraphQL-over-HTTP spec recommends.
    """
    if not accept or not accept.strip():
        return offered[0]
    best: tuple[float, int, MediaType] | None = None
    for media, quality in _parse(accept):
        match = _KNOWN.get(media)
        if match is None or match not in offered or quality <= 0:
            continue
        rank = (quality, -offered.index(match), match)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def _parse(accept: str) -> list[tuple[str, float]]:
    entries = []
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        entries.append((media.strip().lower(), quality))
    return entries
