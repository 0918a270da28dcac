"""A partner's webhook endpoints: URL, subscribed topics, signing secrets, health.

An endpoint (``whk_…`` in :data:`ENDPOINTS`) is found by ``_id``; a partner's endpoints are
listed in one index document (``_id`` = the partner id, in :data:`PARTNER_ENDPOINTS`) so the
fan-out finds the subscribers of an event with two point reads. Both are shared documents,
written through :func:`schema.kernel.claims.update_claimed`.

The URL passes :class:`partners.urls.NetworkPolicy` at registration (form and every address
its host resolves to now) and again at each connection (the dispatcher's guarded session).

**Secrets.** A secret is shown once, when made. :func:`rotate_secret` adds a new one and gives
the others an end (the overlap, 24 h by default): until then requests carry a signature by
each, so a receiver switches over at its own pace. Secrets are kept as written, since signing
needs them (encrypting them at rest is the operator's database's business).

**Health.** ``failingSince`` is the start of the current run of failed attempts (cleared by a
success). An endpoint failing for :data:`DISABLE_AFTER` is disabled, with a
``partner.endpoint_disabled`` event written in the same claimed write (the kernel's outbox).
"""

import secrets as random_secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.urls import NetworkPolicy
from schema.kernel.claims import update_claimed
from schema.kernel.events import TOPICS, append_event, mark_pending, pending_marker
from schema.kernel.ids import new_id
from schema.kernel.time import as_utc, utcnow

ENDPOINTS = "webhook_endpoints"
PARTNER_ENDPOINTS = "webhook_partner_endpoints"
DISABLE_AFTER = timedelta(days=3)
ROTATION_OVERLAP = timedelta(hours=24)
ACTIVE, DISABLED = "ACTIVE", "DISABLED"
MAX_ENDPOINTS_PER_PARTNER = 20

Document = dict[str, Any]


class BadEndpoint(ValueError):
    """The endpoint cannot be registered or changed as asked; nothing was written.
    ``field``: the input at fault (``"topics"``), None when it is no single one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EndpointNotFound(LookupError):
    """No such endpoint of this partner."""


def new_secret() -> str:
    return f"whsec_{random_secrets.token_urlsafe(32)}"


def _topics(topics: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(topics))
    if not wanted:
        raise BadEndpoint("subscribe to at least one topic", "topics")
    unknown = [t for t in wanted if t not in TOPICS]
    if unknown:
        raise BadEndpoint(f"unknown topics: {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(TOPICS))}", "topics")
    return wanted


async def create_endpoint(db: AsyncDatabase, partner_id: str, url: str,
                          topics: Sequence[str], policy: NetworkPolicy) -> tuple[Document, str]:
    """Register an endpoint; returns it and its first secret (shown only now).

    Raises :class:`partners.urls.UnsafeUrl` or :class:`BadEndpoint`, having written nothing.
    """
    wanted = _topics(topics)
    await policy.resolve(url)
    now = utcnow()
    secret = new_secret()
    endpoint = {"_id": new_id("whk"), "partnerId": partner_id, "url": url, "topics": wanted,
                "secrets": [{"secret": secret, "createdAt": now, "expiresAt": None}],
                "status": ACTIVE, "failingSince": None, "createdAt": now, "rev": 0}

    def listed(current: Document | None) -> Document:
        ids = (current or {}).get("endpointIds", [])
        if len(ids) >= MAX_ENDPOINTS_PER_PARTNER:
            raise BadEndpoint(f"a partner has at most {MAX_ENDPOINTS_PER_PARTNER} endpoints")
        return {"endpointIds": [*ids, endpoint["_id"]]}

    await db[ENDPOINTS].insert_one(endpoint)
    try:
        await update_claimed(db[PARTNER_ENDPOINTS], db, partner_id, listed)
    except BaseException:
        await db[ENDPOINTS].delete_one({"_id": endpoint["_id"]})
        raise
    return endpoint, secret


async def get_endpoint(db: AsyncDatabase, endpoint_id: str) -> Document | None:
    return await db[ENDPOINTS].find_one({"_id": endpoint_id})


async def partner_endpoint_ids(db: AsyncDatabase, partner_id: str) -> list[str]:
    found = await db[PARTNER_ENDPOINTS].find_one({"_id": partner_id})
    return list((found or {}).get("endpointIds", []))


def signing_secrets(endpoint: Document, now: datetime) -> list[str]:
    """The secrets that sign a request now, newest first."""
    return [s["secret"] for s in sorted(endpoint["secrets"], key=lambda s: s["createdAt"],
                                        reverse=True)
            if s["expiresAt"] is None or as_utc(s["expiresAt"]) > now]


async def rotate_secret(db: AsyncDatabase, endpoint_id: str,
                        overlap: timedelta = ROTATION_OVERLAP,
                        partner_id: str | None = None) -> str:
    """A new secret (returned, shown only now); the current ones stay valid for ``overlap``.
    ``partner_id``: only that partner's endpoint (else :class:`EndpointNotFound`, nothing
    written)."""
    secret = new_secret()

    def rotated(current: Document | None) -> Document:
        if current is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        if partner_id is not None and current["partnerId"] != partner_id:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        now = utcnow()
        ends = now + overlap
        kept = [{**s, "expiresAt": min(as_utc(s["expiresAt"]), ends)
                 if s["expiresAt"] is not None else ends}
                for s in current["secrets"]
                if s["expiresAt"] is None or as_utc(s["expiresAt"]) > now]
        return {**current, "secrets": [{"secret": secret, "createdAt": now, "expiresAt": None},
                                       *kept]}

    await update_claimed(db[ENDPOINTS], db, endpoint_id, rotated)
    return secret


async def note_success(db: AsyncDatabase, endpoint_id: str) -> None:
    """The endpoint answered: its run of failures (if any) is over."""

    def healthy(current: Document | None) -> Document | None:
        if current is None or current.get("failingSince") is None:
            return None
        return {**current, "failingSince": None}

    await update_claimed(db[ENDPOINTS], db, endpoint_id, healthy)


async def note_failure(db: AsyncDatabase, endpoint_id: str, now: datetime,
                       disable_after: timedelta = DISABLE_AFTER) -> bool:
    """An attempt failed at ``now``: start the run of failures, or disable the endpoint (with
    a ``partner.endpoint_disabled`` event) once the run has lasted ``disable_after``; True
    when this call disabled it."""
    disabled = False

    def failed(current: Document | None) -> Document | None:
        nonlocal disabled
        if current is None or current["status"] != ACTIVE:
            return None
        since = current.get("failingSince")
        if since is None:
            return {**current, "failingSince": now}
        if now - as_utc(since) < disable_after or not due:
            return None   # not due when read: the next failure disables (marked first)
        disabled = True
        event = append_event(current, "partner.endpoint_disabled", current["partnerId"],
                             "WebhookEndpoint", endpoint_id,
                             {"endpointId": endpoint_id, "url": current["url"],
                              "failingSince": as_utc(since).isoformat(),
                              "reason": f"failed for {disable_after}"}, now)
        return {**current, **event, "status": DISABLED, "disabledAt": now,
                "disabledReason": f"every attempt failed for {disable_after} since "
                                  f"{as_utc(since).isoformat()}"}

    found = await get_endpoint(db, endpoint_id)
    due = found is not None and found.get("failingSince") is not None \
        and now - as_utc(found["failingSince"]) >= disable_after
    marker = [pending_marker(ENDPOINTS, endpoint_id)]
    if due:
        await mark_pending(db, marker)
    await update_claimed(db[ENDPOINTS], db, endpoint_id, failed)
    if disabled:
        await mark_pending(db, marker)
    return disabled


async def update_endpoint(db: AsyncDatabase, partner_id: str, endpoint_id: str, *,
                          url: str | None = None, topics: Sequence[str] | None = None,
                          enabled: bool | None = None,
                          policy: NetworkPolicy | None = None) -> Document:
    """Change the partner's endpoint: its URL (checked as at registration), topics, or
    whether it is enabled (enabling starts its health afresh; its dead deliveries can then be
    replayed). Raises :class:`EndpointNotFound`, :class:`BadEndpoint` or
    :class:`partners.urls.UnsafeUrl`, having written nothing."""
    wanted = _topics(topics) if topics is not None else None
    if url is not None:
        await (policy or NetworkPolicy.from_env()).resolve(url)

    def changed(current: Document | None) -> Document:
        if current is None or current["partnerId"] != partner_id:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
        found = {**current}
        if url is not None:
            found["url"] = url
        if wanted is not None:
            found["topics"] = wanted
        if enabled is True:
            found |= {"status": ACTIVE, "failingSince": None, "disabledAt": None,
                      "disabledReason": None}
        elif enabled is False and current["status"] == ACTIVE:
            found |= {"status": DISABLED, "disabledAt": utcnow(),
                      "disabledReason": "disabled by the partner"}
        return found

    written = await update_claimed(db[ENDPOINTS], db, endpoint_id, changed)
    if written is None:
        raise RuntimeError("changed() writes or raises")
    return written


async def delete_endpoint(db: AsyncDatabase, partner_id: str, endpoint_id: str) -> Document:
    """Remove the partner's endpoint: no new deliveries from now, and its waiting ones go
    DEAD without an attempt. Returns the endpoint as it was."""
    found = await get_endpoint(db, endpoint_id)
    if found is None or found["partnerId"] != partner_id:
        raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")

    def unlisted(current: Document | None) -> Document | None:
        ids = (current or {}).get("endpointIds", [])
        if endpoint_id not in ids:
            return None
        return {"endpointIds": [i for i in ids if i != endpoint_id]}

    await update_claimed(db[PARTNER_ENDPOINTS], db, partner_id, unlisted)
    await db[ENDPOINTS].delete_one({"_id": endpoint_id})
    return found

