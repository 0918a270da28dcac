"""The MongoDB collections the authorization server owns, and their indexes.

Every hot lookup is an ``_id`` point read (DESIGN.md §8): secrets, codes, refresh tokens and
sessions are stored under the SHA-256 of their value, so a lookup is ``{_id: hash}`` and a
database dump reveals no usable credential.

``oauth_clients``        ``{_id: app_…, partnerId, name, scopes, grantTypes, redirectUris,
                         public, resourceServer, sandbox, storeIds (bound stores; [] unbound),
                         courierId (bound courier; null unbound),
                         secrets: [{hash, createdAt, expiresAt}], createdAt}``
``oauth_signing_keys``   ``{_id: kid, alg, privateJwk, publicJwk, createdAt, retiredAt,
                         verifyUntil}``
``oauth_codes``          ``{_id: sha256(code), clientId, memberId, partnerId, redirectUri, scope,
                         codeChallenge, familyId, expiresAt, usedAt}``
``oauth_refresh_tokens`` ``{_id: sha256(token), familyId, clientId, memberId, partnerId, scope,
                         expiresAt, usedAt, createdAt}``
``oauth_token_families`` ``{_id: fam:…, clientId, memberId, accessJtis, revokedAt, expiresAt,
                         rev}``: one per authorization; reuse of a rotated refresh token revokes
                         it all; rewritten only under a revision claim (:mod:`auth.families`)
``oauth_revoked_tokens`` ``{_id: jti, expiresAt}``: access tokens revoked before they expire
``oauth_consents``       ``{_id: consent:<memberId>:<clientId>, memberId, clientId, scopes,
                         grantedAt}``
``oauth_member_logins``  ``{_id: login:<username>, memberId, passwordHash}`` (demo credentials)
``oauth_sessions``       ``{_id: sha256(cookie), memberId, csrf, expiresAt}``
``console_users``, ``console_user_emails``, ``console_signins``: console accounts and their
                         sign-in on the authorize page (:mod:`auth.console_users`)
``console_sessions``     ``{_id: sha256(cookie), csrf, userId, tokens…, expiresAt}``: the web
                         console's sessions (:mod:`gateway.console.sessions`), holding the
                         console client's tokens server-side; swept here with the rest

A code or refresh token is spent by whoever wins the claim ``oauth-code:<hash>:used`` or
``oauth-refresh:<hash>:used`` in ``claims`` (:mod:`schema.kernel.claims`); the winner then
sets ``usedAt``, which is what later presentations are checked against.

Nothing here uses TTL indexes: documents that expire carry ``expiresAt`` and
:func:`auth.sweeper.sweep_expired` removes them.
"""

from schema.kernel.indexes import IndexSpec

CLIENTS = "oauth_clients"
SIGNING_KEYS = "oauth_signing_keys"
CODES = "oauth_codes"
REFRESH_TOKENS = "oauth_refresh_tokens"
FAMILIES = "oauth_token_families"
REVOKED = "oauth_revoked_tokens"
CONSENTS = "oauth_consents"
MEMBER_LOGINS = "oauth_member_logins"
SESSIONS = "oauth_sessions"
CONSOLE_USERS = "console_users"
CONSOLE_SIGNINS = "console_signins"
CONSOLE_SESSIONS = "console_sessions"

EXPIRING: tuple[str, ...] = (CODES, REFRESH_TOKENS, FAMILIES, REVOKED, SESSIONS,
                              CONSOLE_SIGNINS, CONSOLE_SESSIONS)

AUTH_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(CLIENTS, "partnerId"),
    IndexSpec.on(REFRESH_TOKENS, "familyId"),
    IndexSpec.on(FAMILIES, "memberId", "clientId"),
    IndexSpec.on(CONSENTS, "memberId"),
    IndexSpec.on(CODES, "memberId", "clientId"),
    IndexSpec.on(CONSOLE_USERS, "partnerId"),
    *(IndexSpec.on(name, "expiresAt") for name in EXPIRING),
)
