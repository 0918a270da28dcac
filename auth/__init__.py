"""OAuth 2.0 authorization server, tokens and the scope checks the gateway applies (DESIGN §6).

Public surface:

* :class:`auth.service.AuthService` — built once per process over the database;
  ``await service.start()`` at start-up, ``service.upkeep_forever()`` as a background task.
* :func:`auth.routes.oauth_routes` — the Starlette routes: ``/oauth/authorize``,
  ``/oauth/token``, ``/oauth/revoke``, ``/oauth/introspect``, ``/oauth/login``,
  ``/oauth/consents``, ``/oauth/set-password`` (a member's one-time sign-in code → password,
  :mod:`auth.set_password`), ``/.well-known/oauth-authorization-server``,
  ``/.well-known/jwks.json``.
* ``service.verifier`` (:class:`auth.verify.TokenVerifier`) — bearer token → ``Principal``,
  raising :class:`auth.errors.AuthError` (``UNAUTHENTICATED``).
* :class:`auth.context.ContextTokenSigner` / :class:`auth.context.ContextTokenVerifier` and
  :class:`auth.middleware.RequireContextToken` — the ``Loopgate-Context`` header between the
  gateway and HTTP subgraphs.
* ``service.clients`` (:class:`auth.clients.ClientRegistry`) — partner apps, secrets shown once.
* :mod:`auth.scopes` — the scope catalogue with plain-word descriptions.
* :class:`auth.ratelimit.RateLimits` — the rate limits of the token, introspection and
  revocation endpoints and of member sign-in (``AuthService.create(…, rate_limits=…)``),
  counted per process in ``service.throttles`` (:mod:`auth.throttle`, :mod:`auth.signins`).

authlib's synchronous server core runs in worker threads and reaches the async stores through
:mod:`auth.bridge`; the event loop is never blocked. Collections: :mod:`auth.collections`.
"""
