"""Persisted-operation manifests: what ``loopgate persisted push`` reads.

Two formats: Apollo's persisted query manifest (JSON: ``{"format":
"apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body", "name",
"type"}]}``, as ``generate-persisted-query-manifest`` writes it), and a plain ``.graphql``
document whose named operations are each one entry (id: the SHA-256 of the operation's
canonical text, see :mod:`gateway.persisted.operations`). Every operation must parse; a
manifest that does not is refused whole, naming the operation, so a push never stores half
a file.
"""

import json
from dataclasses import dataclass
from typing import Any

from gateway.persisted.extension import sha256_hex
from gateway.persisted.operations import (
    Operation,
    OperationTextError,
    operations_of,
    parse_document,
    select,
)

APOLLO_FORMAT = "apollo-persisted-query-manifest"
MAX_OPERATIONS = 10_000
_MAX_ID_CHARS = 128


class ManifestError(ValueError):
    """The file is not a manifest this command can store; the message says where."""


@dataclass(frozen=True, slots=True)
class SafelistOperation:
    """One safelisted operation: the id clients send, and the text the gateway runs."""

    id: str
    body: str
    operation: Operation

    @property
    def name(self) -> str | None:
        return self.operation.name

    @property
    def type(self) -> str:
        return self.operation.type

    @property
    def keys(self) -> tuple[str, ...]:
        """Every id this operation answers to: its own, its body's SHA-256 (what APQ
        clients send) and its canonical hash (what a full-text request is matched by)."""
        return tuple(dict.fromkeys((self.id, sha256_hex(self.body),
                                    self.operation.canonical_hash)))


def read_manifest(text: str) -> list[SafelistOperation]:
    """The operations of a manifest in either format (told apart by a leading ``{``)."""
    operations = _apollo(text) if text.lstrip().startswith("{") else _graphql(text)
    if not operations:
        raise ManifestError("the file has no operations")
    if len(operations) > MAX_OPERATIONS:
        raise ManifestError(f"the file has {len(operations)} operations; at most "
                            f"{MAX_OPERATIONS} may be pushed at once")
    return _without_conflicts(operations)


def _apollo(text: str) -> list[SafelistOperation]:
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != APOLLO_FORMAT:
        raise ManifestError(f'a JSON manifest must have "format": "{APOLLO_FORMAT}"')
    if manifest.get("version") != 1:
        raise ManifestError(f"manifest version {manifest.get('version')!r} is not supported: "
                            "only version 1")
    entries = manifest.get("operations")
    if not isinstance(entries, list):
        raise ManifestError('a manifest\'s "operations" must be a list')
    return [_apollo_entry(index, entry) for index, entry in enumerate(entries)]


def _apollo_entry(index: int, entry: Any) -> SafelistOperation:
    where = f"operations[{index}]"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where} must be an object with id, body, name and type")
    op_id, body, name = entry.get("id"), entry.get("body"), entry.get("name")
    if not isinstance(op_id, str) or not 0 < len(op_id) <= _MAX_ID_CHARS or not (
            op_id.isprintable() and " " not in op_id):
        raise ManifestError(f"{where}: id must be 1 to {_MAX_ID_CHARS} printable characters "
                            "without spaces")
    if not isinstance(body, str):
        raise ManifestError(f"{where} ({op_id}): body must be the operation's text")
    if name is not None and not isinstance(name, str):
        raise ManifestError(f"{where} ({op_id}): name must be a string")
    try:
        operation = select(parse_document(body), name or None)
    except OperationTextError as exc:
        raise ManifestError(f"{where} ({name or op_id}): the body {exc}") from exc
    declared = entry.get("type")
    if declared is not None and declared != operation.type:
        raise ManifestError(f"{where} ({name or op_id}): type says {declared!r} but the body "
                            f"is a {operation.type}")
    return SafelistOperation(op_id, body, operation)


def _graphql(text: str) -> list[SafelistOperation]:
    try:
        document = parse_document(text)
        definitions = operations_of(document)
        if len(definitions) > 1 and any(d.name is None for d in definitions):
            raise OperationTextError("has an anonymous operation among several: name each")
        operations = [select(document, d.name.value if d.name else None)
                      for d in definitions]
    except OperationTextError as exc:
        raise ManifestError(f"the GraphQL document {exc}") from exc
    return [SafelistOperation(op.canonical_hash, op.canonical, op) for op in operations]


def _without_conflicts(operations: list[SafelistOperation]) -> list[SafelistOperation]:
    """Repeats of one operation once; one id for two different bodies is refused."""
    by_id: dict[str, SafelistOperation] = {}
    for op in operations:
        known = by_id.setdefault(op.id, op)
        if known.body != op.body:
            raise ManifestError(f"id {op.id} is given to two different operations")
    return list(by_id.values())
