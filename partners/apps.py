"""A partner's own apps, self-service: create, rotate a secret, revoke (the contract's
``createApp``, ``rotateAppSecret``, ``revokeApp``).

The caller is a partner's admin app (a token holding ``apps:manage``) or the platform admin;
the GraphQL layer checks that (:mod:`partners.subgraph.apps`), these functions check the rest
and answer business failures as user errors, having changed nothing:

- INVALID: malformed input (a name of 1 to 100 printable characters; known scopes and grant
  types; redirect URIs ``https://`` or ``http://`` on a loopback host, RFC 8252, at most 10;
  an ``authorization_code`` app needs one; an app id of the ``app_`` form), or an app that
  cannot be rotated (public or revoked);
- FORBIDDEN: a scope the partner may not grant (``grantableScopes``, :mod:`partners.registry`),
  ``platform:admin`` ever, a live app touched by a sandbox token;
- NOT_FOUND: no app with that id, or another partner's (as for webhook endpoints and
  subgraphs: an id never tells a partner that another partner's app exists).

New apps are confidential (they get a secret, shown once) and belong to the caller's partner;
a sandbox token creates sandbox apps only. The registry lives in the live database whoever
calls (``db`` here is always the live one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import urlsplit

from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import (
    GRANT_TYPES,
    ClientRegistrationError,
    ClientRegistry,
    OAuthClient,
    RegistrationForbidden,
    ScopeNotGrantable,
)
from auth.scopes import SCOPES
from partners.registry import get_partner, grantable_scopes
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.principal import ADMIN_SCOPE, Principal

NAME_MAX = 100
REDIRECT_URIS_MAX = 10
REDIRECT_URI_MAX = 2000
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class AppOutcome:
    """An app mutation's result: the app, its new secret (create and rotate) or errors."""

    app: OAuthClient | None = None
    client_secret: str | None = None
    errors: list[UserError] = field(default_factory=list)


def _fail(code: UserErrorCode, message: str, *path: str) -> AppOutcome:
    return AppOutcome(errors=[UserError(code, message, path or None)])


def _shown(value: object, limit: int = 40) -> str:
    """A caller's value for a message, cut short (a 10,000-character input is not echoed)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _name_error(name: object) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "an app needs a name"
    if len(name.strip()) > NAME_MAX:
        return f"an app name has at most {NAME_MAX} characters"
    if not name.isprintable():
        return "an app name has printable characters only"
    return None


def _redirect_uri_error(uri: object) -> str | None:
    if not isinstance(uri, str) or len(uri) > REDIRECT_URI_MAX:
        return f"a redirect URI is a URL of at most {REDIRECT_URI_MAX} characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        return f"{_shown(uri)} is not a URL"
    if parts.fragment or not host:
        return f"{_shown(uri)} must be an absolute URL with a host and no fragment"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _loopback(host):
        return None
    return f"{_shown(uri)} must be https:// (http:// only on a loopback host)"


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _input_errors(name: object, scopes: Sequence[object], grant_types: Sequence[object],
                  redirect_uris: Sequence[object]) -> list[UserError]:
    errors = []
    if (problem := _name_error(name)) is not None:
        errors.append(UserError(UserErrorCode.INVALID, problem, ("input", "name")))
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        errors.append(UserError(
            UserErrorCode.INVALID,
            f"unknown scope {_shown(unknown[0])}" if unknown else "an app needs a scope",
            ("input", "scopes")))
    bad_grants = [g for g in grant_types if g not in GRANT_TYPES]
    if not grant_types or bad_grants:
        errors.append(UserError(
            UserErrorCode.INVALID,
            f"grant types are among {' '.join(sorted(GRANT_TYPES))}"
            + (f", not {_shown(bad_grants[0])}" if bad_grants else ""),
            ("input", "grantTypes")))
    if len(redirect_uris) > REDIRECT_URIS_MAX:
        errors.append(UserError(UserErrorCode.INVALID,
                                f"at most {REDIRECT_URIS_MAX} redirect URIs",
                                ("input", "redirectUris")))
    else:
        errors += [UserError(UserErrorCode.INVALID, problem, ("input", "redirectUris", str(i)))
                   for i, uri in enumerate(redirect_uris)
                   if (problem := _redirect_uri_error(uri)) is not None]
    if "authorization_code" in grant_types and not redirect_uris:
        errors.append(UserError(UserErrorCode.INVALID,
                                "an authorization_code app needs a redirect URI",
                                ("input", "redirectUris")))
    return errors


async def create_app(db: AsyncDatabase, principal: Principal, *, name: object,
                     scopes: Sequence[object], grant_types: Sequence[object] | None = None,
                     redirect_uris: Sequence[object] | None = None,
                     sandbox: bool = False) -> AppOutcome:
    """Register an app of the caller's partner; its secret is in the outcome, once."""
    grants = list(grant_types) if grant_types else ["client_credentials"]
    uris = list(redirect_uris or ())
    errors = _input_errors(name, list(scopes), grants, uris)
    if errors:
        return AppOutcome(errors=errors)
    if ADMIN_SCOPE in scopes:
        return _fail(UserErrorCode.FORBIDDEN, f"{ADMIN_SCOPE} is never granted to an app "
                     "through self-service", "input", "scopes")
    if principal.sandbox and not sandbox:
        return _fail(UserErrorCode.FORBIDDEN, "a sandbox token creates sandbox apps only",
                     "input", "sandbox")
    partner = await get_partner(db, principal.partner_id or "")
    if partner is None:
        return _fail(UserErrorCode.FORBIDDEN, "your partner is not in the registry")
    try:
        issued = await ClientRegistry(db).create_for(
            principal, partner_id=partner["_id"], name=str(name).strip(),
            scopes=[str(s) for s in scopes], grant_types=[str(g) for g in grants],
            redirect_uris=[str(u) for u in uris], sandbox=sandbox,
            grantable=grantable_scopes(partner))
    except (ScopeNotGrantable, RegistrationForbidden) as exc:
        return _fail(UserErrorCode.FORBIDDEN, str(exc), "input", "scopes")
    except ClientRegistrationError as exc:
        return _fail(UserErrorCode.INVALID, str(exc), "input")
    return AppOutcome(app=issued.client, client_secret=issued.client_secret)


async def _own_app(db: AsyncDatabase, principal: Principal,
                   app_id: object) -> OAuthClient | AppOutcome:
    """The caller's app ``app_id``, or the failure to answer."""
    try:
        parsed = parse_id(app_id, "app")
    except InvalidId:
        return _fail(UserErrorCode.INVALID, f"{_shown(app_id)} is not an app id", "appId")
    app = await ClientRegistry(db).get(parsed)
    if app is None or not principal.owns(app.partner_id):
        return _fail(UserErrorCode.NOT_FOUND, f"no app {parsed}", "appId")
    if principal.sandbox and not app.sandbox:
        return _fail(UserErrorCode.FORBIDDEN, "a sandbox token changes sandbox apps only",
                     "appId")
    return app


async def rotate_app_secret(db: AsyncDatabase, principal: Principal,
                            app_id: object) -> AppOutcome:
    """A new secret for one of the caller's apps; the old one keeps working for 24 h."""
    app = await _own_app(db, principal, app_id)
    if isinstance(app, AppOutcome):
        return app
    if app.public:
        return _fail(UserErrorCode.INVALID, "a public app has no secret to rotate", "appId")
    if app.revoked:
        return _fail(UserErrorCode.INVALID, f"app {app.client_id} is revoked", "appId")
    registry = ClientRegistry(db)
    try:
        secret = await registry.rotate_secret(app.client_id)
    except ClientRegistrationError as exc:
        return _fail(UserErrorCode.INVALID, str(exc), "appId")
    return AppOutcome(app=await registry.get(app.client_id), client_secret=secret)


async def revoke_app(db: AsyncDatabase, principal: Principal, app_id: object) -> AppOutcome:
    """Revoke one of the caller's apps for good (again: no change)."""
    app = await _own_app(db, principal, app_id)
    if isinstance(app, AppOutcome):
        return app
    return AppOutcome(app=await ClientRegistry(db).revoke(app.client_id))
