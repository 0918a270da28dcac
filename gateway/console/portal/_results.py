"""Reading a GraphQL answer for a page: the data, and every error in words."""

from __future__ import annotations

from typing import Any


def problems(body: dict[str, Any], payload: str | None = None) -> list[str]:
    """The messages of the answer's errors and, for a mutation, its payload's userErrors."""
    found = [str(error.get("message", error)) for error in body.get("errors") or ()]
    data = body.get("data") or {}
    if payload is not None and isinstance(data.get(payload), dict):
        found += [str(error.get("message")) for error in data[payload].get("userErrors") or ()]
    return found


def data(body: dict[str, Any], field: str, default: Any = None) -> Any:
    value = (body.get("data") or {}).get(field)
    return default if value is None else value


def first(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0].strip()
