"""Resolving a request's persisted operation: the gateway's one entry point.

:meth:`PersistedOperations.resolve` runs before the gateway parses anything, in this order:

1. Read ``extensions.persistedQuery`` (:mod:`~gateway.persisted.extension`); a malformed one
   is refused (PERSISTED_QUERY_NOT_SUPPORTED).
2. The caller's app policy (:mod:`~gateway.persisted.safelist`, cached a few seconds).
3. With an id: the app's safelist first (a manifest id or a hash), then, unless the app is
   safelist-only, the automatic persisted queries (:mod:`~gateway.persisted.apq`). A query
   sent with the id must be that operation's text (else PERSISTED_QUERY_HASH_MISMATCH, and
   nothing is stored); an id that is on no safelist must be a SHA-256 (else
   PERSISTED_QUERY_NOT_SUPPORTED); an unknown hash is PersistedQueryNotFound, or
   OPERATION_NOT_SAFELISTED for a safelist-only app.
4. Full text from a safelist-only app: the operation it selects must be on the safelist
   (matched by canonical hash, :mod:`~gateway.persisted.operations`); the safelisted text
   then runs, never the text sent.

APQ registration (an id plus a query not yet known) needs an identified app: an anonymous
caller's query runs but is not stored, so anonymous traffic can never grow the store, and
it must also fit ``max_query_bytes``, parse, and (given a schema) validate.
"""

from collections.abc import Callable
from dataclasses import replace

from graphql import GraphQLSchema, validate
from pymongo.asynchronous.database import AsyncDatabase

from gateway.persisted._cache import LruCache
from gateway.persisted.apq import APQ_INDEX, ApqLimits, QueryStore
from gateway.persisted.errors import (
    hash_mismatch,
    not_found,
    not_safelisted,
    not_supported,
    too_large,
)
from gateway.persisted.extension import PersistedRef, persisted_ref, sha256_hex
from gateway.persisted.operations import OperationTextError, parse_document, select
from gateway.persisted.safelist import (
    DEFAULT_TTL_S,
    SAFELIST_INDEXES,
    AppPolicy,
    SafelistEntry,
    Safelists,
)
from gateway.service import GraphQLRequest
from schema.kernel.indexes import ensure_indexes
from schema.kernel.sandbox import Databases

SchemaFor = Callable[[], GraphQLSchema]
_TEXT_CACHE_ENTRIES = 1_024
_MAX_CACHED_TEXT_CHARS = 20_000
_NO_POLICY = AppPolicy()


class PersistedOperations:
    """Automatic persisted queries and per-app safelists.

    ``db`` is the live database (a pymongo ``AsyncDatabase``): APQ texts live there, and apps'
    safelists there or, for sandbox apps, in ``sandbox_db`` (default: the live database's
    sandbox twin). Without ``db`` (a standalone gateway with no database) APQ is kept per
    process and there are no safelists. ``schema()`` returns the current API schema: an APQ
    registration that does not validate against it is not stored (the gateway then reports
    the errors as for any query). ``policy_ttl_s`` is how long a worker trusts what it read
    of an app's safelist.
    """

    def __init__(self, db: AsyncDatabase | None = None, *,
                 sandbox_db: AsyncDatabase | None = None, schema: SchemaFor | None = None,
                 apq: ApqLimits | None = None,
                 policy_ttl_s: float = DEFAULT_TTL_S) -> None:
        self.queries = QueryStore(db, apq or ApqLimits())
        self.safelists = None
        if db is not None:
            sandbox = sandbox_db if sandbox_db is not None else Databases.beside(db).sandbox
            self.safelists = Safelists(db, sandbox, ttl_s=policy_ttl_s)
        self._schema = schema
        self._canonical: LruCache[tuple[bool, str]] = LruCache(_TEXT_CACHE_ENTRIES)

    async def ensure_indexes(self) -> list[str]:
        """Create the secondary indexes MongoDB uses for the sweep and the CLI (idempotent;
        every request-time read is an ``_id`` point read and needs none)."""
        if self.safelists is None:
            return []
        names = await ensure_indexes(self.safelists.live, [APQ_INDEX, *SAFELIST_INDEXES])
        return names + await ensure_indexes(self.safelists.sandbox, SAFELIST_INDEXES)

    async def resolve(self, request: GraphQLRequest, *, client_id: str | None,
                      sandbox: bool | None = None) -> GraphQLRequest:
        """``request`` with its query filled in; raises :class:`PersistedOperationError`.

        ``client_id`` is the calling app (None: anonymous). ``sandbox`` says where its
        safelist lives when the caller knows (the principal's flag); None looks in both.
        """
        ref = persisted_ref(request.extensions)
        policy = await self._policy(client_id, sandbox)
        if ref is not None:
            return await self._by_id(request, ref, client_id, policy)
        if policy.safelist_only:
            return await self._safelisted_text(request, client_id, policy)
        return request

    async def _policy(self, client_id: str | None, sandbox: bool | None) -> AppPolicy:
        if client_id is None or self.safelists is None:
            return _NO_POLICY
        return await self.safelists.policy(client_id, sandbox)

    async def _by_id(self, request: GraphQLRequest, ref: PersistedRef, client_id: str | None,
                     policy: AppPolicy) -> GraphQLRequest:
        if client_id is not None and self.safelists is not None:
            entry = await self.safelists.find(client_id, policy, ref.key)
            if entry is not None:
                if request.query is not None and not _same(request, entry):
                    raise hash_mismatch(f"the query sent is not safelisted operation "
                                        f"{entry.op_id}'s text")
                return _running(request, entry)
        if not ref.is_sha256:
            raise not_supported("extensions.persistedQuery.sha256Hash must be a SHA-256 in "
                                "64 lower-case hex digits (other ids only name operations "
                                "on the app's safelist)")
        if policy.safelist_only:
            raise not_safelisted(f"this app may only run its safelisted operations, and "
                                 f"{ref.key} is not one of them: add it with `loopgate "
                                 "persisted push`")
        if request.query is None:
            text = await self.queries.get(ref.key)
            if text is None:
                raise not_found()
            return replace(request, query=text)
        if sha256_hex(request.query) != ref.key:
            raise hash_mismatch("the query's SHA-256 is not the sha256Hash sent with it")
        size = len(request.query.encode())
        limit = self.queries.limits.max_query_bytes
        if size > limit:
            raise too_large(size, limit)
        if client_id is not None and not self.queries.cached(ref.key) and \
                self._registrable(request.query):
            await self.queries.put(ref.key, request.query)
        return request

    def _registrable(self, query: str) -> bool:
        """Whether ``query`` parses and, given a schema, validates: only then is it kept."""
        try:
            document = parse_document(query)
        except OperationTextError:
            return False
        return self._schema is None or not validate(self._schema(), document)

    def _canonical_hash(self, query: str, operation_name: str | None) -> str:
        """The canonical hash of the operation ``query`` selects, parsed once per text (LRU):
        a safelist-only app sending full text would otherwise pay a parse per request.
        A text that does not parse is remembered as its refusal's message."""
        key = (query, operation_name)
        known = self._canonical.get(key)
        if not isinstance(known, tuple):
            try:
                known = (True, select(parse_document(query), operation_name).canonical_hash)
            except OperationTextError as exc:
                known = (False, f"this app may only run its safelisted operations; the "
                                f"document sent {exc}")
            if len(query) <= _MAX_CACHED_TEXT_CHARS:
                self._canonical.put(key, known)
        parsed, value = known
        if not parsed:
            raise not_safelisted(value)
        return value

    async def _safelisted_text(self, request: GraphQLRequest, client_id: str | None,
                               policy: AppPolicy) -> GraphQLRequest:
        assert client_id is not None and self.safelists is not None
        query = request.query or ""
        entry = await self.safelists.find(client_id, policy, sha256_hex(query))
        if entry is None or entry.body != query:
            canonical = self._canonical_hash(query, request.operation_name)
            entry = await self.safelists.find(client_id, policy, canonical)
            if entry is not None and entry.canonical_hash != canonical:
                entry = None
        if entry is None:
            what = f"operation {request.operation_name!r}" if request.operation_name else \
                "this operation"
            raise not_safelisted(f"this app may only run its safelisted operations, and "
                                 f"{what} is not one of them: add it with `loopgate "
                                 "persisted push`")
        return _running(request, entry)


def _same(request: GraphQLRequest, entry: SafelistEntry) -> bool:
    """Whether the text sent with an id is that operation's: byte for byte, or the same
    operation however spelled (an id is a name; a body's hash proves nothing by itself)."""
    if request.query == entry.body:
        return True
    try:
        operation = select(parse_document(request.query or ""),
                           entry.name or request.operation_name)
    except OperationTextError:
        return False
    return operation.canonical_hash == entry.canonical_hash


def _running(request: GraphQLRequest, entry: SafelistEntry) -> GraphQLRequest:
    """The request running the safelisted text, and its named operation only (a manifest
    body may hold more than the one operation that was safelisted)."""
    return replace(request, query=entry.body,
                   operation_name=entry.name or request.operation_name)
